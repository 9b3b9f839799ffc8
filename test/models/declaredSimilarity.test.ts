import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { declaredSimilarity } from '../../src/models/declaredSimilarity.js';

test('declaredSimilarity: similarity_fn_name cosine → cosine, dot / dot_product → ip, none → undefined, others refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'polyret-sim-'));
  const put = (v: unknown) => writeFileSync(join(dir, 'config_sentence_transformers.json'), JSON.stringify(v));
  try {
    assert.equal(declaredSimilarity(dir), undefined, 'no file');
    put({ prompts: {} });
    assert.equal(declaredSimilarity(dir), undefined, 'no field');
    put({ similarity_fn_name: null });
    assert.equal(declaredSimilarity(dir), undefined, 'null (sentence-transformers writes it when unset)');
    put({ similarity_fn_name: 'cosine' });
    assert.equal(declaredSimilarity(dir), 'cosine');
    put({ similarity_fn_name: 'dot' });
    assert.equal(declaredSimilarity(dir), 'ip');
    put({ similarity_fn_name: 'dot_product' });
    assert.equal(declaredSimilarity(dir), 'ip');
    put({ similarity_fn_name: 'euclidean' });
    assert.throws(() => declaredSimilarity(dir), /config_sentence_transformers\.json: field similarity_fn_name: 'euclidean'.*--similarity/);
    writeFileSync(join(dir, 'config_sentence_transformers.json'), '{ not json');
    assert.throws(() => declaredSimilarity(dir), /config_sentence_transformers\.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
