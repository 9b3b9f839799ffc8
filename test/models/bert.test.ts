import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { noGrad, tidy } from '../../src/tensor/index.js';
import { projectRoot } from '../../src/util/dataDir.js';
import { loadSentenceEncoder, pool, readWeights, adaptCheckpointNames, BertModel } from '../../src/models/index.js';
import { locateModelFiles } from '../../src/models/modelFiles.js';
import { assertClose, ids, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface BertExpected {
  saved_tensors: string[];
  input_ids: number[]; attention_mask: number[]; token_type_ids: number[]; shape: number[];
  last_hidden_state: FixtureTensor; pooler_output: FixtureTensor; cls: FixtureTensor; mean: FixtureTensor; max: FixtureTensor;
}
const DIR = join(projectRoot(), 'test', 'fixtures', 'models', 'tiny-bert');
const E = readFixture<BertExpected>('models', 'tiny-bert', 'expected.json');

test('BERT: last hidden state, pooler and CLS/mean/max pooling match transformers BertModel and sentence-transformers Pooling (with padding and token types)', () => {
  const enc = loadSentenceEncoder(DIR);
  assert.ok(enc.transformer instanceof BertModel);
  assert.equal(enc.transformer.architecture, 'BertModel');
  assert.ok(enc.transformer.pooler, 'the checkpoint has a pooler, so the model must have one');
  noGrad(() => tidy(() => {
    const inp = { inputIds: ids(E.input_ids, E.shape), attentionMask: ids(E.attention_mask, E.shape), tokenTypeIds: ids(E.token_type_ids, E.shape) };
    const out = enc.transformer.forward(inp);
    assertClose(out.lastHiddenState, E.last_hidden_state, 'last_hidden_state');
    assertClose(out.poolerOutput!, E.pooler_output, 'pooler_output');
    assertClose(pool(out.lastHiddenState, inp.attentionMask, 'cls'), E.cls, 'cls pooling');
    assertClose(pool(out.lastHiddenState, inp.attentionMask, 'mean'), E.mean, 'mean pooling');
    assertClose(pool(out.lastHiddenState, inp.attentionMask, 'max'), E.max, 'max pooling');
    // Without token types the output must differ (they are really added).
    const noTypes = enc.transformer.forward({ inputIds: inp.inputIds, attentionMask: inp.attentionMask });
    assert.ok(noTypes.lastHiddenState.sub(out.lastHiddenState).abs().max().item() > 1e-3);
  }));
  enc.dispose();
});

test('BERT: a task-head checkpoint (BertForPreTraining.save_pretrained) loads through its bert. prefix; MLM and NSP heads are ignored', () => {
  const files = locateModelFiles(DIR);
  const weights = readWeights(files);
  assert.deepEqual([...weights.keys()].sort(), [...E.saved_tensors].sort(), 'the tensors transformers saved');
  // transformers 4.x also saved the derived position_ids buffer (5.x does not): it must be dropped, not loaded.
  weights.set('bert.embeddings.position_ids', ids(Array.from({ length: 24 }, (_, i) => i), [1, 24]));
  const { state, prefix, ignored } = adaptCheckpointNames(weights);
  assert.equal(prefix, 'bert.');
  assert.deepEqual(ignored.sort(), [
    'bert.embeddings.position_ids', 'cls.predictions.bias', 'cls.predictions.transform.LayerNorm.bias', 'cls.predictions.transform.LayerNorm.weight',
    'cls.predictions.transform.dense.bias', 'cls.predictions.transform.dense.weight', 'cls.seq_relationship.bias', 'cls.seq_relationship.weight',
  ]);
  assert.ok(state.has('embeddings.word_embeddings.weight') && state.has('pooler.dense.weight'));
  for (const t of state.values()) t.dispose();
});

test('BERT: dropout acts in training mode only (eval output is deterministic, train output is not)', () => {
  const enc = loadSentenceEncoder(DIR);
  noGrad(() => tidy(() => {
    const inp = { inputIds: ids(E.input_ids, E.shape), attentionMask: ids(E.attention_mask, E.shape), tokenTypeIds: ids(E.token_type_ids, E.shape) };
    enc.train();
    const a = enc.transformer.forward(inp).lastHiddenState;
    enc.eval();
    const b = enc.transformer.forward(inp).lastHiddenState;
    assert.ok(a.sub(b).abs().max().item() > 1e-3, 'training-mode output should differ from eval (dropout)');
    assertClose(b, E.last_hidden_state, 'eval after train');
  }));
  enc.dispose();
});
