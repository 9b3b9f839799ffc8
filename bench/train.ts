/**
 * `npm run bench -- train [--batch N] [--steps N] [--warmup N] [--threads N] [--peer-threads N] [--peer-blas-threads N] [--mini-batch N]`
 *
 * Training throughput of the paper's recipe on real data: XQuAD hybrid batches of (query,
 * positive, hard negative) triplets with "query: "/"passage: " prefixes, the small from-scratch
 * BERT of configs/small-from-scratch.yaml (mBERT vocabulary, mean pooling), InfoNCE with in-batch
 * and hard negatives, clipping, AdamW with decay groups and linear warmup/decay — polyret's trainer
 * step (src/train: contrastiveStep, tokenisation of the next batch on a worker thread) against the same recipe in PyTorch
 * (bench/train_peer.py) on the same batches, same model shape, same thread count. Steps alternate
 * between the two (one polyret step, one PyTorch step) so machine load hits both alike.
 * Ends with `train: polyret X s/step, peer Y s/step, ratio R` (R < 1: polyret faster).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeInfo, manualSeed, setNumThreads, type Tensor } from '../src/tensor/index.js';
import { AdamW, LrScheduler, clipGradNorm, decayGroups } from '../src/nn/optim/index.js';
import { createEncoderFromScratch } from '../src/models/index.js';
import { openSquad } from '../src/data/squad.js';
import { HybridBatchSampler } from '../src/sampling/hybridBatchSampler.js';
import { applyPrefixes, E5_PREFIXES } from '../src/sampling/prefixes.js';
import { mixSeed } from '../src/sampling/rng.js';
import { dataPath } from '../src/util/dataDir.js';
import { contrastiveStep } from '../src/train/gradCache.js';
import { infoNCELoss, tripletLayout } from '../src/train/losses/infoNCE.js';
import { SentenceTextEncoder } from '../src/train/modelSource.js';
import { TokenizerWorker } from '../src/train/tokenizePrefetch.js';
import { InterleavedPeer, THREAD_FLAGS, bestPeer, describeThreads, median, peerEnv, peerLabel, ratioLine, threadSettings } from './lib/peer.js';

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      batch: { type: 'string', default: '64' },
      steps: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '2' },
      ...THREAD_FLAGS,
      'mini-batch': { type: 'string' },
      layers: { type: 'string', default: '2' },
      hidden: { type: 'string', default: '128' },
    },
  });
  const B = Number(values.batch);
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  const ts = threadSettings(values);
  const threads = ts.threads;
  const miniBatch = values['mini-batch'] ? Number(values['mini-batch']) : null;
  const layers = Number(values.layers);
  const hidden = Number(values.hidden);
  setNumThreads(ts.atenThreads, threads);
  const seed = 13;
  const maxQ = 32;
  const maxP = 64;

  const langs = ['ar', 'de', 'el', 'en', 'es', 'hi', 'ro', 'ru', 'th', 'tr', 'vi', 'zh'];
  const ds = openSquad(langs.map((l) => dataPath('xquad', `xquad.${l}.json`)), { negatives: 1 });
  const sampler = HybridBatchSampler.create(ds, { batchSize: B, mode: 'hybrid', alpha: 0.5, seed });
  const total = warmup + steps;
  const batches = Array.from({ length: total }, () => applyPrefixes(sampler.next()!, E5_PREFIXES));

  manualSeed(seed);
  const model = createEncoderFromScratch({
    arch: 'bert', layers, hidden, heads: 4, intermediate: 2 * hidden, maxLength: 128, pooling: 'mean', seed,
    vocabFrom: dataPath('tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json'),
  });
  const enc = new SentenceTextEncoder(model, maxQ, maxP);
  const training = { lr: 5e-4, weightDecay: 0.01, temperature: 0.05, maxGradNorm: 1, totalSteps: total, warmupSteps: 1, miniBatch };
  const optimizer = new AdamW(decayGroups(enc.namedParameters(), training.weightDecay), { lr: training.lr, weightDecay: training.weightDecay });
  const scheduler = new LrScheduler(training.lr, { name: 'linear', warmupSteps: training.warmupSteps, totalSteps: total });
  const params = enc.namedParameters().map(([, t]) => t);

  const texts = batches.map((b) => ({
    queries: b.items.map((it) => it.query),
    passages: [...b.items.map((it) => it.positive), ...b.items.flatMap((it) => it.negatives)],
    layout: tripletLayout(b.items.map((it) => it.id), b.items.map((it) => it.negatives.length)),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'polyret-bench-train-'));
  const spec = {
    seed,
    model: { hidden, heads: 4, layers, intermediate: 2 * hidden, vocab: model.config.vocabSize, pad: model.config.padTokenId, maxPositions: model.config.maxPositionEmbeddings },
    training,
    batches: texts.map((t) => ({
      queries: model.tokenize(t.queries, { maxLength: maxQ }),
      passages: model.tokenize(t.passages, { maxLength: maxP }),
    })),
  };
  writeFileSync(join(dir, 'batches.json'), JSON.stringify(spec));
  const peers = ts.peers.map((ps) => new InterleavedPeer('train_peer.py', ['--batches', join(dir, 'batches.json'), '--threads', String(ps.aten)], peerEnv(ps)));
  let info = { torch: '?', threads: 0, params: 0 };
  for (const p of peers) info = await p.ready<{ torch: string; threads: number; params: number }>();

  enc.train(true);
  // As in the trainer: batch k+1 is tokenised on a worker thread while step k runs.
  const worker = new TokenizerWorker(enc.tokenizerFiles.tokenizerPath, enc.tokenizerFiles.configPath);
  const prime = (k: number): Promise<void> | null => {
    const t = texts[k];
    if (!t) return null;
    return Promise.all([worker.tokenize(t.queries, maxQ), worker.tokenize(t.passages, maxP)]).then(([qr, pr]) => {
      enc.prime(t.queries, 'query', qr);
      enc.prime(t.passages, 'passage', pr);
    });
  };
  const ready: Array<Promise<void> | null> = [prime(0)];
  const polyretStep = async (k: number): Promise<{ seconds: number; loss: number }> => {
    const t = texts[k]!;
    const t0 = process.hrtime.bigint();
    await ready[k];
    ready[k + 1] = prime(k + 1);
    const r = contrastiveStep(enc, t.queries, t.passages, (q: Tensor, p: Tensor) => infoNCELoss(q, p, t.layout, { scale: 1 / training.temperature }), {
      miniBatch, seedFor: (c) => mixSeed(seed, k, c),
    });
    clipGradNorm(params, training.maxGradNorm);
    optimizer.setLr(scheduler.lr);
    optimizer.step();
    optimizer.zeroGrad();
    scheduler.step();
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, loss: r.loss };
  };

  const mine: number[] = [];
  const theirs: number[][] = peers.map(() => []);
  const triplets = texts.map((t) => t.queries.length);
  for (let k = 0; k < total; k++) {
    const a = await polyretStep(k);
    const bs: Array<{ seconds: number; loss: number }> = [];
    for (const [i, peer] of peers.entries()) {
      const b = await peer.request<{ seconds: number; loss: number }>('step');
      if (k >= warmup) theirs[i]!.push(b.seconds);
      bs.push(b);
    }
    if (k >= warmup) mine.push(a.seconds);
    process.stderr.write(`step ${k + 1}/${total}${k < warmup ? ' (warmup)' : ''}: polyret ${a.seconds.toFixed(3)} s (loss ${a.loss.toFixed(3)}), PyTorch ${bs.map((b) => `${b.seconds.toFixed(3)} s`).join(' / ')} (loss ${bs[0]!.loss.toFixed(3)}), ${triplets[k]} triplets\n`);
  }
  for (const p of peers) p.close();
  await worker.close();
  rmSync(dir, { recursive: true, force: true });
  const pm = median(mine);
  const best = bestPeer(theirs);
  const tm = best.median;
  if (peers.length > 1) console.log(`PyTorch medians: ${theirs.map((t, i) => `${median(t).toFixed(3)} s (${peerLabel(ts.peers[i]!)})`).join(', ')}`);
  const avgTriplets = triplets.slice(warmup).reduce((s, x) => s + x, 0) / steps;
  const ci = computeInfo();
  console.log(`model: ${layers} layers, hidden ${hidden}, vocab ${model.config.vocabSize} (${(model.parameters().reduce((n, p) => n + p.numel, 0) / 1e6).toFixed(1)}M params; PyTorch ${(info.params / 1e6).toFixed(1)}M)`);
  console.log(`data: XQuAD hybrid batches of ${B} triplets (query, positive, hard negative), max length ${maxQ}/${maxP}, GradCache mini-batch ${miniBatch ?? 'off'} (both sides)`);
  console.log(`${describeThreads(ts)}; libtorch ${ci.torch}, torch ${info.torch}; medians over ${steps} steps after ${warmup} warmup`);
  console.log(`throughput: polyret ${(avgTriplets / pm).toFixed(1)} triplets/s, PyTorch ${(avgTriplets / tm).toFixed(1)} triplets/s (polyret's includes tokenisation, on a worker thread overlapping the previous step as in the trainer)`);
  console.log(ratioLine('train', pm, tm, 's/step'));
  optimizer.dispose();
  model.dispose();
  ds.close();
}
