import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { noGrad, tidy } from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';
import { XLMRobertaModel, createPositionIdsFromInputIds, loadSentenceEncoder, pool } from '../../src/models/index.js';
import { assertClose, ids, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface XlmrBatch {
  input_ids: number[]; attention_mask: number[]; shape: number[]; position_ids: number[];
  last_hidden_state: FixtureTensor; cls: FixtureTensor; mean: FixtureTensor; max: FixtureTensor;
}
interface XlmrExpected { batches: { right: XlmrBatch; left: XlmrBatch } }
const DIR = join(projectRoot(), 'test', 'fixtures', 'models', 'tiny-xlmr');
const E = readFixture<XlmrExpected>('models', 'tiny-xlmr', 'expected.json');

test('XLM-R: position ids start at padding_idx + 1 and skip padding, as transformers numbers them (right- and left-padded)', () => {
  tidy(() => {
    for (const side of ['right', 'left'] as const) {
      const b = E.batches[side];
      assert.deepEqual(createPositionIdsFromInputIds(ids(b.input_ids, b.shape), 1).toNumbers(), b.position_ids, side);
    }
    // Hand-checked: the left-padded 4-token row [<pad>, <pad>, <pad>, <s>, x, y, </s>] → [1, 1, 1, 2, 3, 4, 5].
    assert.deepEqual(E.batches.left.position_ids.slice(7, 14), [1, 1, 1, 2, 3, 4, 5]);
  });
});

for (const side of ['right', 'left'] as const) {
  test(`XLM-R: last hidden state and pooling match transformers XLMRobertaModel and sentence-transformers Pooling (${side}-padded batch)`, () => {
    const enc = loadSentenceEncoder(DIR);
    assert.ok(enc.transformer instanceof XLMRobertaModel);
    assert.equal(enc.transformer.pooler, null);
    assert.equal(enc.maxSeqLength, 16);
    const b = E.batches[side];
    noGrad(() => tidy(() => {
      const inp = { inputIds: ids(b.input_ids, b.shape), attentionMask: ids(b.attention_mask, b.shape) };
      const out = enc.transformer.forward(inp);
      assertClose(out.lastHiddenState, b.last_hidden_state, `${side}: last_hidden_state`);
      assertClose(pool(out.lastHiddenState, inp.attentionMask, 'cls'), b.cls, `${side}: cls (first unmasked token)`);
      assertClose(pool(out.lastHiddenState, inp.attentionMask, 'mean'), b.mean, `${side}: mean`);
      assertClose(pool(out.lastHiddenState, inp.attentionMask, 'max'), b.max, `${side}: max`);
    }));
    enc.dispose();
  });
}

test('XLM-R: the tokenizer pads with <pad> (id 1) and encode() equals the unbatched forward of each text', () => {
  const enc = loadSentenceEncoder(DIR);
  const texts = ['hello world', 'a', 'the cat sat on the mat and the dog ran away quickly'];
  const batched = enc.encode(texts, { batchSize: 3, pooling: 'mean' });
  texts.forEach((t, i) => {
    const single = enc.encode([t], { pooling: 'mean' });
    assertClose(Array.from(batched.vectors.subarray(i * batched.dim, (i + 1) * batched.dim)), Array.from(single.vectors), `text ${i} batched vs alone`);
  });
  enc.dispose();
});
