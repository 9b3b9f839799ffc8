/**
 * `npm run bench -- encode-onnx [--texts N] [--batch-size N] [--round N] [--layers N --hidden N --heads N]
 *                               [--threads N] [--aten-threads N] [--ort-threads N]`
 *
 * Encode throughput of polyret (libtorch) against onnxruntime-node on the model polyret exported
 * (`polyret export --format onnx`): a random BERT with mBERT's vocabulary (default 4 layers / 256, CLS pooling),
 * saved, loaded back as `polyret encode` does, and exported to onnx/model.onnx. Both sides get the same token
 * ids (tokenized once, so tokenizer speed is not part of the comparison), the same length-sorted batches and the
 * whole sentence pipeline (sentence vectors out), in alternating rounds of `--round` texts so that load on a
 * shared machine hits both alike. polyret runs with 1 libtorch thread and OpenBLAS on all cores (its fastest
 * inference setting, see docs/tensor-engine.md#threads), onnxruntime with all cores as intra-op threads.
 * The last line is the standard `encode-onnx: polyret X s/1k texts, peer Y s/1k texts, ratio R` (time ratio).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeInfo, setNumThreads } from '../src/tensor/index.js';
import { dataPath } from '../src/util/dataDir.js';
import { createEncoderFromScratch, loadSentenceEncoder, saveSentenceEncoder } from '../src/models/index.js';
import { exportOnnx } from '../src/export/exportOnnx.js';
import { OnnxSentenceEncoder } from '../src/eval/onnxEncoder.js';
import { Progress } from '../src/util/progress.js';
import { sentences } from './encode.js';

const HELP = `npm run bench -- encode-onnx [options]
  --texts N          texts (default 2000; XQuAD-R and MLQA-R sentences)
  --batch-size N     texts per forward pass, both sides (default 32)
  --round N          texts per alternating round (default 250)
  --layers N         encoder layers of the random BERT (default 4)
  --hidden N         hidden size (default 256)
  --heads N          attention heads (default 4)
  --threads N        polyret: OpenBLAS threads (default: all cores)
  --aten-threads N   polyret: libtorch intra-op threads (default 1, its fastest inference setting)
  --ort-threads N    onnxruntime-node: intra-op threads (default: all cores)
Both sides run the model polyret exported (polyret export --format onnx) on the same token ids.`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      texts: { type: 'string', default: '2000' },
      'batch-size': { type: 'string', default: '32' },
      round: { type: 'string', default: '250' },
      layers: { type: 'string', default: '4' },
      hidden: { type: 'string', default: '256' },
      heads: { type: 'string', default: '4' },
      threads: { type: 'string' },
      'aten-threads': { type: 'string', default: '1' },
      'ort-threads': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const num = (k: keyof typeof values) => {
    const n = Number(values[k]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${k} must be a positive integer, got '${values[k]}'`);
    return n;
  };
  const cores = availableParallelism();
  const threads = values.threads ? num('threads') : cores;
  const atenThreads = num('aten-threads');
  const ortThreads = values['ort-threads'] ? num('ort-threads') : cores;
  const batchSize = num('batch-size');
  const round = num('round');
  const [layers, hidden, heads] = [num('layers'), num('hidden'), num('heads')];
  setNumThreads(atenThreads, threads);
  const info = computeInfo();
  console.log(`libtorch ${info.torch}, BLAS ${info.blas ?? '?'}; peer: onnxruntime-node 1.30 (CPU provider) on the exported graph`);
  console.log(`threads: polyret ATen ${atenThreads}, OpenBLAS ${threads}; onnxruntime intra-op ${ortThreads}, inter-op 1`);

  const work = mkdtempSync(join(tmpdir(), 'polyret-bench-encode-onnx-'));
  try {
    const src = join(work, 'model');
    const fresh = createEncoderFromScratch({
      arch: 'bert', layers, hidden, heads, vocabFrom: dataPath('tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json'), maxLength: 128, seed: 1,
    });
    saveSentenceEncoder(fresh, src);
    fresh.dispose();
    const t0 = performance.now();
    exportOnnx({ model: src, output: join(work, 'onnx-model') });
    console.log(`exported L${layers}/H${hidden} to ONNX in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const enc = loadSentenceEncoder(src);
    const onnx = await OnnxSentenceEncoder.load(join(work, 'onnx-model'), { threads: ortThreads });
    const rows = enc.tokenize(sentences(num('texts')));
    const tokens = rows.reduce((a, r) => a + r.length, 0);
    console.log(`encode-onnx L${layers}/H${hidden}: ${rows.length} texts, ${tokens} tokens (mean ${(tokens / rows.length).toFixed(1)}), ` +
      `${(enc.transformer.numParameters() / 1e6).toFixed(1)}M parameters, batch ${batchSize}`);
    // Warm-up batch on each side (allocators, thread pools, onnxruntime's first-run planning), not timed.
    enc.encodeIds(rows.slice(0, batchSize), { batchSize });
    await onnx.encodeIds(rows.slice(0, batchSize), batchSize);

    const progress = new Progress({ total: rows.length, label: 'encode-onnx (polyret and onnxruntime by turns)', unit: 'texts' });
    let polyret = 0;
    let peer = 0;
    let maxDiff = 0;
    let rounds = 0;
    for (let start = 0; start < rows.length; start += round) {
      const part = rows.slice(start, start + round);
      const t1 = performance.now();
      const p = await onnx.encodeIds(part, batchSize);
      const t2 = performance.now();
      const q = enc.encodeIds(part, { batchSize });
      const t3 = performance.now();
      peer += (t2 - t1) / 1000;
      polyret += (t3 - t2) / 1000;
      for (let i = 0; i < q.vectors.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p.vectors[i]! - q.vectors[i]!));
      rounds++;
      progress.tick(part.length, `polyret ${polyret.toFixed(1)} s, onnxruntime ${peer.toFixed(1)} s`);
    }
    progress.finish();
    await onnx.release();
    enc.dispose();
    const n = rows.length;
    console.log(`encode-onnx L${layers}/H${hidden} (${n} texts in ${rounds} alternating rounds, max |Δ| polyret vs onnxruntime ${maxDiff.toExponential(1)}): ` +
      `polyret ${(n / polyret).toFixed(1)} texts/s, onnxruntime ${(n / peer).toFixed(1)} texts/s`);
    console.log(`encode-onnx: polyret ${(1000 * polyret / n).toFixed(2)} s/1k texts, peer ${(1000 * peer / n).toFixed(2)} s/1k texts, ratio ${(polyret / peer).toFixed(3)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
