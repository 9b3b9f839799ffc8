import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { noGrad, tidy } from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';
import { XLMRobertaModel, createPositionIdsFromInputIds, loadSentenceEncoder, pool } from '../../src/models/index.js';
import { assertClose, ids, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface XlmrExpected {
  input_ids: number[]; attention_mask: number[]; shape: number[]; position_ids: number[];
  last_hidden_state: FixtureTensor; cls: FixtureTensor; mean: FixtureTensor; max: FixtureTensor;
}
const DIR = join(projectRoot(), 'test', 'fixtures', 'models', 'tiny-xlmr');
const E = readFixture<XlmrExpected>('models', 'tiny-xlmr', 'expected.json');

test('XLM-R: position ids start at padding_idx + 1 and skip padding (right- and left-padded rows)', () => {
  tidy(() => {
    const p = createPositionIdsFromInputIds(ids(E.input_ids, E.shape), 1);
    assert.deepEqual(p.toNumbers(), E.position_ids);
    // Hand-checked row: [<pad>, <pad>, <s>, x, y, </s>, <pad>] → [1, 1, 2, 3, 4, 5, 1]
    assert.deepEqual(E.position_ids.slice(14, 21), [1, 1, 2, 3, 4, 5, 1]);
  });
});

test('XLM-R: last hidden state and pooling match the Hugging Face reference (gelu_new, eps 1e-5, no pooler)', () => {
  const enc = loadSentenceEncoder(DIR);
  assert.ok(enc.transformer instanceof XLMRobertaModel);
  assert.equal(enc.transformer.pooler, null);
  assert.equal(enc.maxSeqLength, 16);
  noGrad(() => tidy(() => {
    const inp = { inputIds: ids(E.input_ids, E.shape), attentionMask: ids(E.attention_mask, E.shape) };
    const out = enc.transformer.forward(inp);
    assertClose(out.lastHiddenState, E.last_hidden_state, 'last_hidden_state');
    assertClose(pool(out.lastHiddenState, inp.attentionMask, 'cls'), E.cls, 'cls');
    assertClose(pool(out.lastHiddenState, inp.attentionMask, 'mean'), E.mean, 'mean');
    assertClose(pool(out.lastHiddenState, inp.attentionMask, 'max'), E.max, 'max');
  }));
  enc.dispose();
});

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
