/**
 * `npm run bench -- train [options]` (`--help` lists them)
 *
 * Training throughput of the paper's recipe on real data, polyret against sentence-transformers on PyTorch 2.13
 * (bench/train_peer.py), the library a user would otherwise pick: XQuAD hybrid batches of (query, positive, hard
 * negative) triplets with "query: "/"passage: " prefixes, a from-scratch BERT with mBERT's vocabulary and mean pooling,
 * InfoNCE with in-batch and hard negatives (sentence-transformers: MultipleNegativesRankingLoss, scale = 1/temperature;
 * CachedMultipleNegativesRankingLoss when polyret uses GradCache), clipping, AdamW with decay groups and linear
 * warmup/decay.
 *
 * Same computation on both sides: polyret's initial model is saved as a sentence-transformers folder and both sides
 * load it (same weights); the peer gets the exact batches polyret's sampler produced (same data, same composition),
 * and the same lr, schedule, temperature, clipping and step count. The token ids of the first batch are compared
 * (the same tokenizer.json on both sides), and the per-step losses are printed side by side.
 * Steps alternate (one polyret step, then one step of each peer process) so machine load hits all alike; medians.
 * Ends with `train: polyret X s/step, peer Y s/step, ratio R` (R < 1: polyret faster), for the first precision.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeInfo, manualSeed, setNumThreads, type Tensor } from '../src/tensor/index.js';
import { AdamW, LrScheduler, clipGradNorm, decayGroups } from '../src/nn/optim/index.js';
import { createEncoderFromScratch, loadSentenceEncoder, saveSentenceEncoder, type SentenceEncoder } from '../src/models/index.js';
import { openSquad } from '../src/data/squad.js';
import { HybridBatchSampler } from '../src/sampling/hybridBatchSampler.js';
import { applyPrefixes, E5_PREFIXES } from '../src/sampling/prefixes.js';
import { mixSeed } from '../src/sampling/rng.js';
import { dataPath } from '../src/util/dataDir.js';
import { contrastiveStep } from '../src/train/gradCache.js';
import { infoNCELoss, tripletLayout, type TripletLayout } from '../src/train/losses/infoNCE.js';
import { SentenceTextEncoder } from '../src/train/modelSource.js';
import { TokenizerWorker } from '../src/train/tokenizePrefetch.js';
import {
  InterleavedPeer, THREAD_FLAGS, THREAD_FLAGS_HELP, peerPython, bestPeer, describeThreads, median, peerEnv, peerLabel, ratioLine, threadSettings,
} from './lib/peer.js';
import { describePairedRatio, pairedRatio } from './lib/pairedRatio.js';
import { parsePrecisions, type BenchPrecision, bf16BenchNote } from './lib/precision.js';
import { writeTokenizerConfig } from './lib/stFolder.js';

const HELP = `npm run bench -- train [options]
  --batch N         triplets per batch (default 64)
  --steps N         timed steps per precision (default 10)
  --warmup N        untimed steps first (default 2)
  --mini-batch N    GradCache mini-batch (peer: CachedMultipleNegativesRankingLoss); default off
  --layers N        encoder layers (default 2)
  --hidden N        hidden size (default 128; 4 heads, intermediate 2 × hidden)
  --dropout P       hidden and attention dropout of the model (default 0.1; 0 makes the two sides' losses agree closely)
  --precision LIST  fp32 and/or bf16, comma-separated (default fp32,bf16): bf16 = polyret's autocast, the peer's torch.autocast
${THREAD_FLAGS_HELP}
Peer Python: POLYRET_PEER_PYTHON, else .venv/bin/python (bash scripts/setup-python.sh).`;

interface StepAnswer { seconds: number; loss: number }
interface PeerHello { torch: string; transformers: string; sentenceTransformers: string; threads: number; params: number; loss: string; idsMismatch: number }

interface BatchTexts { queries: string[]; positives: string[]; negatives: string[]; passages: string[]; layout: TripletLayout }

/** polyret's side of one precision row: a fresh model from the shared folder, optimizer, schedule, tokenizer worker. */
class PolyretRun {
  private readonly model: SentenceEncoder;
  private readonly enc: SentenceTextEncoder;
  private readonly optimizer: AdamW;
  private readonly scheduler: LrScheduler;
  private readonly params: Tensor[];
  private readonly worker: TokenizerWorker;
  private readonly ready: Array<Promise<void> | null> = [];

  constructor(dir: string, private readonly texts: BatchTexts[], private readonly t: TrainingSpec, precision: BenchPrecision, private readonly seed: number) {
    this.model = loadSentenceEncoder(dir);
    this.enc = new SentenceTextEncoder(this.model, t.maxQueryLength, t.maxPassageLength, precision === 'bf16' ? { device: 'cpu', dtype: 'bfloat16' } : null);
    this.optimizer = new AdamW(decayGroups(this.enc.namedParameters(), t.weightDecay), { lr: t.lr, weightDecay: t.weightDecay });
    this.scheduler = new LrScheduler(t.lr, { name: 'linear', warmupSteps: t.warmupSteps, totalSteps: t.totalSteps });
    this.params = this.enc.namedParameters().map(([, p]) => p);
    this.enc.train(true);
    // As in the trainer: batch k+1 is tokenised on a worker thread while step k runs.
    this.worker = new TokenizerWorker(this.enc.tokenizerFiles.tokenizerPath, this.enc.tokenizerFiles.configPath);
    this.ready[0] = this.prime(0);
  }

  private prime(k: number): Promise<void> | null {
    const b = this.texts[k];
    if (!b) return null;
    return Promise.all([this.worker.tokenize(b.queries, this.t.maxQueryLength), this.worker.tokenize(b.passages, this.t.maxPassageLength)]).then(([qr, pr]) => {
      this.enc.prime(b.queries, 'query', qr);
      this.enc.prime(b.passages, 'passage', pr);
    });
  }

  async step(k: number): Promise<StepAnswer> {
    const b = this.texts[k]!;
    const t0 = process.hrtime.bigint();
    await this.ready[k];
    this.ready[k + 1] = this.prime(k + 1);
    const r = contrastiveStep(this.enc, b.queries, b.passages, (q: Tensor, p: Tensor) => infoNCELoss(q, p, b.layout, { scale: 1 / this.t.temperature }), {
      miniBatch: this.t.miniBatch, seedFor: (c) => mixSeed(this.seed, k, c),
    });
    clipGradNorm(this.params, this.t.maxGradNorm);
    this.optimizer.setLr(this.scheduler.lr);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.scheduler.step();
    this.enc.forget(b.queries, 'query');
    this.enc.forget(b.passages, 'passage');
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, loss: r.loss };
  }

  async close(): Promise<void> {
    await this.worker.close();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

interface TrainingSpec {
  lr: number; weightDecay: number; temperature: number; maxGradNorm: number; totalSteps: number; warmupSteps: number;
  miniBatch: number | null; maxQueryLength: number; maxPassageLength: number;
}

interface Row { precision: BenchPrecision; polyret: number[]; peers: number[][]; lossesPolyret: number[]; lossesPeer: number[] }

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      batch: { type: 'string', default: '64' },
      steps: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      ...THREAD_FLAGS,
      'mini-batch': { type: 'string' },
      layers: { type: 'string', default: '2' },
      hidden: { type: 'string', default: '128' },
      dropout: { type: 'string', default: '0.1' },
      precision: { type: 'string', default: 'fp32,bf16' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  peerPython(); // fails now, with what to do, when there is no peer Python
  const B = Number(values.batch);
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  const dropout = Number(values.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`--dropout: expected a probability in [0, 1), got '${values.dropout}'`);
  const precisions = parsePrecisions(values.precision);
  const ts = threadSettings(values);
  const miniBatch = values['mini-batch'] ? Number(values['mini-batch']) : null;
  const layers = Number(values.layers);
  const hidden = Number(values.hidden);
  setNumThreads(ts.atenThreads, ts.threads);
  const seed = 13;
  const total = warmup + steps;

  const langs = ['ar', 'de', 'el', 'en', 'es', 'hi', 'ro', 'ru', 'th', 'tr', 'vi', 'zh'];
  const ds = openSquad(langs.map((l) => dataPath('xquad', `xquad.${l}.json`)), { negatives: 1 });
  const sampler = HybridBatchSampler.create(ds, { batchSize: B, mode: 'hybrid', alpha: 0.5, seed });
  const texts: BatchTexts[] = Array.from({ length: total }, (_, k) => {
    const b = applyPrefixes(sampler.next()!, E5_PREFIXES);
    // polyret masks translations (repeated ids) in a batch; MultipleNegativesRankingLoss does not: check there are none.
    if (new Set(b.items.map((it) => it.id)).size !== b.items.length) throw new Error(`batch ${k} repeats an example id: polyret would mask translations, MultipleNegativesRankingLoss would not`);
    const positives = b.items.map((it) => it.positive);
    // Some triplets have no hard negative (a context with one question): the peer's negative column is shorter,
    // and both losses score every query against the positives, then all negatives in triplet order.
    const negatives = b.items.flatMap((it) => it.negatives);
    return {
      queries: b.items.map((it) => it.query), positives, negatives, passages: [...positives, ...negatives],
      layout: tripletLayout(b.items.map((it) => it.id), b.items.map((it) => it.negatives.length)),
    };
  });
  ds.close();

  // The shared initial model: polyret's from-scratch encoder, saved as a sentence-transformers folder.
  const dir = mkdtempSync(join(tmpdir(), 'polyret-bench-train-'));
  const modelDir = join(dir, 'model');
  manualSeed(seed);
  const fresh = createEncoderFromScratch({
    arch: 'bert', layers, hidden, heads: 4, intermediate: 2 * hidden, maxLength: 128, pooling: 'mean', seed,
    vocabFrom: dataPath('tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json'),
  });
  saveSentenceEncoder(fresh, modelDir);
  const vocab = fresh.config.vocabSize;
  const nParams = fresh.parameters().reduce((n, p) => n + p.numel, 0);
  fresh.dispose();
  const cfgPath = join(modelDir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout }, null, 2));
  writeTokenizerConfig(modelDir);

  const training: TrainingSpec = {
    lr: 5e-4, weightDecay: 0.01, temperature: 0.05, maxGradNorm: 1, totalSteps: total, warmupSteps: 1, miniBatch, maxQueryLength: 32, maxPassageLength: 64,
  };
  const probe = loadSentenceEncoder(modelDir);
  const spec = {
    seed,
    model: modelDir,
    training,
    maxQueryLength: training.maxQueryLength,
    maxPassageLength: training.maxPassageLength,
    batches: texts.map((t) => ({ queries: t.queries, positives: t.positives, negatives: t.negatives })),
    check: { queries: probe.tokenize(texts[0]!.queries, { maxLength: training.maxQueryLength }), passages: probe.tokenize(texts[0]!.passages, { maxLength: training.maxPassageLength }) },
  };
  probe.dispose();
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  console.log(describeThreads(ts));
  process.stderr.write(`starting ${ts.peers.length} peer processes (importing sentence-transformers can take a minute on a loaded machine)\n`);
  const peers = ts.peers.map((ps) => new InterleavedPeer('train_peer.py', ['--spec', join(dir, 'spec.json'), '--threads', String(ps.aten)], peerEnv(ps)));
  let hello: PeerHello | null = null;
  try {
    for (const p of peers) hello = await p.ready<PeerHello>();
    const h = hello!;
    if (h.idsMismatch !== 0) throw new Error(`the peer's tokenizer gives other token ids than polyret's on ${h.idsMismatch} texts of batch 0`);
    console.log(`peer: sentence-transformers ${h.sentenceTransformers}, transformers ${h.transformers}, torch ${h.torch} (${h.threads} threads), ${h.loss}; token ids of batch 0 identical to polyret's`);

    const rows: Row[] = [];
    for (const precision of precisions) {
      for (const p of peers) await p.request(JSON.stringify({ op: 'reset', precision }));
      const ours = new PolyretRun(modelDir, texts, training, precision, seed);
      const row: Row = { precision, polyret: [], peers: peers.map(() => []), lossesPolyret: [], lossesPeer: [] };
      for (let k = 0; k < total; k++) {
        const a = await ours.step(k);
        const bs: StepAnswer[] = [];
        for (const [i, peer] of peers.entries()) {
          const b = await peer.request<StepAnswer>(JSON.stringify({ op: 'step', k }));
          if (k >= warmup) row.peers[i]!.push(b.seconds);
          bs.push(b);
        }
        if (k >= warmup) row.polyret.push(a.seconds);
        row.lossesPolyret.push(a.loss);
        row.lossesPeer.push(bs[0]!.loss);
        process.stderr.write(`${precision} step ${k + 1}/${total}${k < warmup ? ' (warmup)' : ''}: polyret ${a.seconds.toFixed(3)} s (loss ${a.loss.toFixed(4)}), ` +
          `peer ${bs.map((b) => `${b.seconds.toFixed(3)} s`).join(' / ')} (loss ${bs.map((b) => b.loss.toFixed(4)).join(' / ')}), ${texts[k]!.queries.length} triplets\n`);
      }
      await ours.close();
      rows.push(row);
    }

    const ci = computeInfo();
    console.log(`model: ${layers} layers, hidden ${hidden}, vocab ${vocab} (${(nParams / 1e6).toFixed(1)}M params; peer ${(h.params / 1e6).toFixed(1)}M), dropout ${dropout}`);
    console.log(`data: XQuAD hybrid batches of ${B} triplets (query, positive, hard negative), max length ${training.maxQueryLength}/${training.maxPassageLength}, ` +
      `GradCache mini-batch ${miniBatch ?? 'off'} (both sides); lr ${training.lr}, linear schedule with ${training.warmupSteps} warmup step, temperature ${training.temperature} (scale ${1 / training.temperature})`);
    console.log(`libtorch ${ci.torch} (polyret); medians over ${steps} steps after ${warmup} warmup; polyret's time includes tokenisation on a worker thread overlapping the previous step (as its trainer), the peer's its own tokenisation`);
    const avgTriplets = texts.slice(warmup).reduce((s, t) => s + t.queries.length, 0) / steps;
    const lines: string[] = [];
    for (const r of rows) {
      const n = Math.min(4, total);
      const rel = r.lossesPolyret.map((l, i) => Math.abs(l - r.lossesPeer[i]!) / Math.abs(r.lossesPeer[i]!));
      console.log(`${r.precision} losses, first ${n} steps: polyret ${r.lossesPolyret.slice(0, n).map((l) => l.toFixed(4)).join(', ')}; ` +
        `peer ${r.lossesPeer.slice(0, n).map((l) => l.toFixed(4)).join(', ')}; largest relative difference over all ${total} steps ${Math.max(...rel).toExponential(1)}` +
        (dropout > 0 ? ' (dropout masks differ between the sides)' : ''));
      const best = bestPeer(r.peers);
      const pm = median(r.polyret);
      if (peers.length > 1) console.log(`${r.precision} peer medians: ${r.peers.map((t, i) => `${median(t).toFixed(3)} s (${peerLabel(ts.peers[i]!)})`).join(', ')}`);
      console.log(`${r.precision} throughput: polyret ${(avgTriplets / pm).toFixed(1)} triplets/s, peer ${(avgTriplets / best.median).toFixed(1)} triplets/s (${peerLabel(ts.peers[best.index]!)})`);
      console.log(`${r.precision} ${describePairedRatio(pairedRatio(r.polyret, r.peers[best.index]!))}`);
      lines.push(ratioLine(`train ${r.precision}`, pm, best.median, 's/step'));
    }
    if (precisions.includes('bf16')) console.log(bf16BenchNote());
    for (const l of lines) console.log(l);
    const first = rows[0]!;
    console.log(ratioLine('train', median(first.polyret), bestPeer(first.peers).median, 's/step'));
  } finally {
    for (const p of peers) p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
