import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasData, projectRoot } from '../../src/util/dataDir.js';
import { loadTrainConfig } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { MetricsLog } from '../../src/train/metricsLog.js';
import { loadSentenceEncoder } from '../../src/models/index.js';

const skip = !(hasData('xquad') && hasData('mlqa-r') && hasData('tokenizers', 'bert-base-multilingual-cased')) && 'needs xquad, mlqa-r and the mBERT tokenizer in the data folder';

test('from scratch on XQuAD (11 languages, hybrid batches): training loss falls and zero-shot MLQA-R mAP rises', { skip, timeout: 1_200_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'polyret-e2e-'));
  try {
    const { config, baseDir } = loadTrainConfig(join(projectRoot(), 'test', 'fixtures', 'train', 'e2e.yaml'));
    const s = await train({ config, baseDir, output: out, progress: false, log: () => {} });
    assert.equal(s.steps, 80);
    assert.equal(s.stopReason, 'max-steps');

    const trainLoss = MetricsLog.read(join(out, 'metrics.jsonl')).filter((r) => r.kind === 'train').map((r) => r.loss as number);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(trainLoss.slice(0, 10));
    const last = mean(trainLoss.slice(-10));
    assert.ok(last < first - 0.15, `training loss should fall: first 10 steps ${first.toFixed(3)}, last 10 ${last.toFixed(3)}`);
    const val = MetricsLog.read(join(out, 'metrics.jsonl')).filter((r) => r.kind === 'validation').map((r) => r.loss as number);
    // Validation at step 0 (untrained), 40 and 80.
    assert.equal(val.length, 3);
    assert.ok(val[2]! < val[0]! - 0.2, `validation loss should fall: ${val.map((v) => v.toFixed(3)).join(' → ')}`);

    const before = s.retrieval.find((r) => r.label === 'before')!;
    if (process.env.POLYRET_TEST_VERBOSE) console.log(JSON.stringify({ first, last, val, retrieval: s.retrieval }));
    const after = s.retrieval.find((r) => r.label === 'after')!;
    assert.ok(before && after, 'retrieval before and after');
    assert.ok(before.mono !== null && after.mono !== null && before.multi !== null && after.multi !== null, 'mono and multi mAP exist');
    assert.ok(after.mono > before.mono * 1.15, `monolingual mAP ${before.mono.toFixed(4)} → ${after.mono.toFixed(4)}`);
    assert.ok(after.multi > before.multi, `multilingual mAP ${before.multi.toFixed(4)} → ${after.multi.toFixed(4)}`);

    // The final model is a sentence-transformers folder that loads and encodes.
    assert.ok(existsSync(join(out, 'final', 'modules.json')));
    const enc = loadSentenceEncoder(join(out, 'final'));
    const v = enc.encode(['query: wer schrieb faust?'], { normalize: true });
    assert.equal(v.dim, 128);
    assert.ok(Math.abs(Math.hypot(...v.vectors) - 1) < 1e-5);
    assert.equal(enc.prompts.query, 'query: ');
    enc.dispose();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
