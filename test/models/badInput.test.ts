import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { loadSentenceEncoder, parseEncoderConfig } from '../../src/models/index.js';

const FIX = join(projectRoot(), 'test', 'fixtures', 'models');

/** A scratch copy of a fixture folder, changed by `edit`, and the error loading it gives. */
function loadError(fixture: string, edit: (dir: string) => void): { dir: string; message: string } {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-bad-'));
  try {
    cpSync(join(FIX, fixture), dir, { recursive: true });
    edit(dir);
    let message = '';
    try {
      loadSentenceEncoder(dir).dispose();
    } catch (err) {
      message = (err as Error).message;
    }
    assert.ok(message, 'loading must fail');
    return { dir, message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function editJson(path: string, f: (j: Record<string, unknown>) => void): void {
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  f(j);
  writeFileSync(path, JSON.stringify(j));
}

test('missing files: folder, config.json, weights (with a hint for pytorch_model.bin), tokenizer.json, Dense weights', () => {
  assert.throws(() => loadSentenceEncoder('/nonexistent/polyret-model'), /model folder not found: \/nonexistent\/polyret-model/);
  let r = loadError('tiny-bert', (d) => unlinkSync(join(d, 'config.json')));
  assert.match(r.message, new RegExp(`${r.dir}: config.json missing`));
  r = loadError('tiny-bert', (d) => unlinkSync(join(d, 'model.safetensors')));
  assert.match(r.message, /no weights \(model.safetensors/);
  r = loadError('tiny-bert', (d) => {
    unlinkSync(join(d, 'model.safetensors'));
    writeFileSync(join(d, 'pytorch_model.bin'), 'PK');
  });
  assert.match(r.message, /only PyTorch pickle weights \(pytorch_model.bin\).*safe_serialization=True/);
  r = loadError('tiny-bert', (d) => unlinkSync(join(d, 'tokenizer.json')));
  assert.match(r.message, /tokenizer.json not found in /);
  r = loadError('tiny-labse', (d) => unlinkSync(join(d, '2_Dense', 'model.safetensors')));
  assert.match(r.message, /2_Dense: Dense weights missing \(model.safetensors\)/);
});

test('unsupported architecture and bad config fields are named with the file', () => {
  let r = loadError('tiny-bert', (d) => editJson(join(d, 'config.json'), (j) => { j.model_type = 'distilbert'; }));
  assert.match(r.message, /config.json: unsupported architecture model_type "distilbert"/);
  r = loadError('tiny-bert', (d) => editJson(join(d, 'config.json'), (j) => { delete j.model_type; }));
  assert.match(r.message, /config.json: field "model_type" missing \(architectures: BertForPreTraining\)/);
  r = loadError('tiny-bert', (d) => editJson(join(d, 'config.json'), (j) => { j.hidden_act = 'mish'; }));
  assert.match(r.message, /config.json: field "hidden_act": unsupported activation 'mish'/);
  r = loadError('tiny-bert', (d) => editJson(join(d, 'config.json'), (j) => { j.position_embedding_type = 'relative_key'; }));
  assert.match(r.message, /position_embedding_type "relative_key" is not supported/);
  assert.throws(() => parseEncoderConfig({ model_type: 'bert', hidden_size: 30, num_attention_heads: 4 }, 'c.json'), /c.json: hidden_size 30 is not a multiple of num_attention_heads 4/);
  assert.throws(() => parseEncoderConfig({ model_type: 'bert', layer_norm_eps: '1e-12' }, 'c.json'), /c.json: field "layer_norm_eps" must be a number/);
});

test('truncated weights: the safetensors error names the file', () => {
  const r = loadError('tiny-bert', (d) => {
    const p = join(d, 'model.safetensors');
    truncateSync(p, statSync(p).size - 100);
  });
  assert.match(r.message, /model.safetensors/);
  assert.match(r.message, /trunc|short|ends|beyond|exceed|size/i);
});

test('weights that do not fit the config: missing / unexpected / mis-shaped names are reported', () => {
  let r = loadError('tiny-xlmr', (d) => editJson(join(d, 'config.json'), (j) => { j.num_hidden_layers = 3; }));
  assert.match(r.message, /model.safetensors: weights do not match .*config.json.*missing 16 tensor\(s\): encoder.layer.2.attention.self.query.weight/);
  r = loadError('tiny-xlmr', (d) => editJson(join(d, 'config.json'), (j) => { j.num_hidden_layers = 1; }));
  assert.match(r.message, /unexpected 16 tensor\(s\): encoder.layer.1./);
  r = loadError('tiny-xlmr', (d) => editJson(join(d, 'config.json'), (j) => { j.intermediate_size = 40; }));
  assert.match(r.message, /model.safetensors: state dict shape mismatch:\s+encoder.layer.0.intermediate.dense.weight: model \[40, 32\] vs checkpoint \[37, 32\]/);
});

test('tokenizer / vocabulary size mismatch names both files', () => {
  const r = loadError('tiny-xlmr', (d) => {
    editJson(join(d, 'config.json'), (j) => { j.vocab_size = 30; });
  });
  assert.match(r.message, /tokenizer .*tokenizer.json vs model .*config.json: the tokenizer has ids up to 36 .* vocab_size is 30/);
  const pad = loadError('tiny-bert', (d) => editJson(join(d, 'config.json'), (j) => { j.pad_token_id = 3; }));
  assert.match(pad.message, /pad token \[PAD\] has id 0 but the model's pad_token_id is 3/);
});

test('sentence-transformers modules: unknown module type, bad pooling config, Dense size mismatch', () => {
  let r = loadError('tiny-labse', (d) => editJson(join(d, 'modules.json'), (j) => {
    (j as unknown as Array<Record<string, unknown>>)[2]!.type = 'sentence_transformers.models.LSTM';
  }));
  assert.match(r.message, /modules.json: module 2 has type 'sentence_transformers.models.LSTM', which polyret does not run/);
  // sentence-transformers ≥ 6 layout (what the fixture has) and the earlier one.
  r = loadError('tiny-labse', (d) => editJson(join(d, '1_Pooling', 'config.json'), (j) => { j.pooling_mode = 'lasttoken'; }));
  assert.match(r.message, /1_Pooling\/config.json: pooling_mode "lasttoken" is not supported/);
  r = loadError('tiny-labse', (d) => editJson(join(d, '1_Pooling', 'config.json'), (j) => { j.pooling_mode = []; }));
  assert.match(r.message, /1_Pooling\/config.json: field "pooling_mode" must be a mode name or a non-empty list/);
  r = loadError('tiny-labse', (d) => editJson(join(d, '1_Pooling', 'config.json'), (j) => {
    delete j.pooling_mode;
    delete j.embedding_dimension;
    Object.assign(j, { word_embedding_dimension: 32, pooling_mode_cls_token: false });
  }));
  assert.match(r.message, /1_Pooling\/config.json: no pooling mode is on/);
  r = loadError('tiny-labse', (d) => editJson(join(d, '2_Dense', 'config.json'), (j) => { j.use_residual = true; }));
  assert.match(r.message, /2_Dense\/config.json: use_residual true is not supported/);
  r = loadError('tiny-labse', (d) => editJson(join(d, '2_Dense', 'config.json'), (j) => { j.out_features = 20; }));
  assert.match(r.message, /2_Dense\/model.safetensors: state dict shape mismatch:\s+linear.weight: model \[20, 32\] vs checkpoint \[24, 32\]/);
  r = loadError('tiny-labse', (d) => editJson(join(d, '2_Dense', 'config.json'), (j) => { j.activation_function = 'torch.nn.modules.activation.Softsign'; }));
  assert.match(r.message, /2_Dense\/config.json: activation_function "torch.nn.modules.activation.Softsign" is not supported/);
});
