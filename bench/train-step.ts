/**
 * `npm run bench -- train-step [options]` (`--help` lists them)
 * One BERT-like bi-encoder training step (mBERT vocabulary 119,547, seq 64, batch 32 query/passage
 * pairs, InfoNCE, AdamW) in polyret and in PyTorch (bench/train_step_peer.py, run by the peer Python: torch 2.13),
 * same ops, in one invocation; fp32 and bf16 rows (polyret's autocast against torch.autocast('cpu', bfloat16)).
 */
import { parseArgs } from 'node:util';
import {
  autocast, arange, crossEntropy, manualSeed, normalize, randint, randn, setNumThreads, tidy, ones, computeInfo, type Tensor,
} from '../src/tensor/index.js';
import { BertModel, newEncoderConfig } from '../src/models/index.js';
import { AdamW } from '../src/nn/optim/index.js';
import { parsePrecisions, type BenchPrecision, bf16BenchNote } from './lib/precision.js';
import { describePairedRatio, pairedRatio } from './lib/pairedRatio.js';
import { InterleavedPeer, THREAD_FLAGS, THREAD_FLAGS_HELP, peerPython, bestPeer, describeThreads, median, peerEnv, peerLabel, ratioLine, threadSettings } from './lib/peer.js';

const HELP = `npm run bench -- train-step [options]
  --configs LIST     model shapes, comma-separated LAYERS/HIDDEN (default L4/H256,L2/H512; heads = hidden/64)
  --steps N          timed steps per row (default 6)
  --warmup N         untimed steps first (default 2)
  --seq N            tokens per text (default 64)
  --batch N          query/passage pairs (default 32)
  --precision LIST   fp32 and/or bf16, comma-separated (default fp32,bf16)
${THREAD_FLAGS_HELP}
Peer Python: POLYRET_PEER_PYTHON, else .venv/bin/python (bash scripts/setup-python.sh).`;

interface Cfg { layers: number; hidden: number; heads: number }

/** The project's own BertModel (no pooler), as the trainer uses it; the peer mirrors it op for op. */
function benchEncoder(vocab: number, c: Cfg): BertModel {
  const config = newEncoderConfig({ modelType: 'bert', vocabSize: vocab, hiddenSize: c.hidden, numHiddenLayers: c.layers, numAttentionHeads: c.heads, padTokenId: 0 });
  return new BertModel(config, { addPoolingLayer: false });
}

function sgemmFlops(): number {
  return tidy(() => {
    const a = randn([2048, 2048]);
    const b = randn([2048, 2048]);
    a.mm(b).dispose();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 5; i++) a.mm(b).dispose();
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    return (5 * 2 * 2048 ** 3) / sec;
  });
}

/** Builds polyret's model and returns a function that runs one timed step. */
function polyretStepper(c: Cfg, vocab: number, seq: number, batch: number, precision: BenchPrecision): { step: () => { seconds: number; loss: number }; dispose: () => void } {
  manualSeed(1);
  const model = benchEncoder(vocab, c).train();
  const opt = new AdamW(model.namedParameters(), { lr: 3e-5, weightDecay: 0.01 });
  const qIds = randint(1, vocab, [batch, seq]);
  const pIds = randint(1, vocab, [batch, seq]);
  const mask = ones([batch, seq], { dtype: 'int64' });
  const forward = (inputIds: Tensor): Tensor => normalize(model.forward({ inputIds, attentionMask: mask }).lastHiddenState.select(1, 0), 2, -1);
  // bf16: the encoder under autocast, its output back in float32 for the loss (as the peer and the trainer do).
  const embed = (inputIds: Tensor): Tensor => (precision === 'bf16' ? autocast('cpu', 'bfloat16', () => forward(inputIds)).float() : forward(inputIds));
  const labels = arange(batch);
  return {
    step: () => {
      const t0 = process.hrtime.bigint();
      const loss = tidy(() => {
        const q = embed(qIds);
        const p = embed(pIds);
        const l = crossEntropy(q.matmul(p.t()).div(0.05), labels);
        l.backward();
        return l.item();
      });
      opt.step();
      opt.zeroGrad();
      return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, loss };
    },
    dispose: () => {
      for (const t of [qIds, pIds, mask, labels]) t.dispose();
      opt.dispose();
      model.dispose();
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string', default: '6' },
      warmup: { type: 'string', default: '2' },
      ...THREAD_FLAGS,
      configs: { type: 'string', default: 'L4/H256,L2/H512' },
      seq: { type: 'string', default: '64' },
      batch: { type: 'string', default: '32' },
      precision: { type: 'string', default: 'fp32,bf16' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  peerPython(); // fails now, with what to do, when there is no peer Python
  const precisions = parsePrecisions(values.precision);
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  const ts = threadSettings(values);
  const threads = ts.threads;
  const seq = Number(values.seq);
  const batch = Number(values.batch);
  const vocab = 119547;
  setNumThreads(ts.atenThreads, threads);
  const info = computeInfo();
  console.log(`machine: libtorch ${info.torch} (ATen ${info.threads} threads, OpenBLAS ${info.blasThreads}); ${info.blas ?? 'BLAS unknown'}`);
  console.log(describeThreads(ts));
  const peak = sgemmFlops();
  console.log(`sgemm peak (2048² fp32 matmul, measured in this process): ${(peak / 1e9).toFixed(1)} GFLOP/s; FLOPs per step counted as 3 × tokens × layers × (24H² + 4SH)`);
  const lines: string[] = [];
  let totalP = 0;
  let totalQ = 0;
  for (const spec of String(values.configs).split(',')) {
    const m = /^L(\d+)\/H(\d+)$/.exec(spec.trim());
    if (!m) throw new Error(`bad config '${spec}', expected like L4/H256`);
    const c: Cfg = { layers: Number(m[1]), hidden: Number(m[2]), heads: Number(m[2]) / 64 };
    for (const precision of precisions) {
      // Each peer process does one step, then polyret does one, by turns: machine load hits all alike.
      const peers = ts.peers.map((ps) => new InterleavedPeer('train_step_peer.py', [
        '--layers', String(c.layers), '--hidden', String(c.hidden), '--heads', String(c.heads), '--seq', String(seq), '--batch', String(batch),
        '--threads', String(ps.aten), '--precision', precision,
      ], peerEnv(ps)));
      let hello = { torch: '?', threads: 0 };
      for (const p of peers) hello = await p.ready<{ torch: string; threads: number }>();
      const ours = polyretStepper(c, vocab, seq, batch, precision);
      const oursTimes: number[] = [];
      const peerTimes: number[][] = peers.map(() => []);
      let oursLoss = 0;
      let peerLoss = 0;
      for (let s = 0; s < warmup + steps; s++) {
        const qs: number[] = [];
        for (const [i, peer] of peers.entries()) {
          const q = await peer.request<{ seconds: number; loss: number }>('step');
          if (s >= warmup) peerTimes[i]!.push(q.seconds);
          peerLoss = q.loss;
          qs.push(q.seconds);
        }
        const p = ours.step();
        if (s >= warmup) oursTimes.push(p.seconds);
        oursLoss = p.loss;
        process.stderr.write(`  ${spec} ${precision} step ${s + 1}/${warmup + steps}: polyret ${p.seconds.toFixed(3)} s, PyTorch ${qs.map((q) => q.toFixed(3)).join(' / ')} s${s < warmup ? ' (warm-up)' : ''}\n`);
      }
      for (const p of peers) p.close();
      ours.dispose();
      const tp = median(oursTimes);
      const best = bestPeer(peerTimes);
      const tq = best.median;
      if (peers.length > 1) console.log(`  ${spec} ${precision}: PyTorch medians ${peerTimes.map((t, i) => `${median(t).toFixed(3)} s (${peerLabel(ts.peers[i]!)})`).join(', ')}`);
      if (precision === precisions[0]) {
        totalP += tp;
        totalQ += tq;
      }
      const tokens = 2 * batch * seq;
      const flops = 3 * tokens * c.layers * (24 * c.hidden * c.hidden + 4 * seq * c.hidden);
      console.log(
        `  ${spec} ${precision}: polyret median ${tp.toFixed(3)} s/step (${(tokens / tp).toFixed(0)} tokens/s, ${((100 * flops) / tp / peak).toFixed(1)}% of sgemm peak), ` +
          `PyTorch ${hello.torch} (${peerLabel(ts.peers[best.index]!)}) median ${tq.toFixed(3)} s/step (${(tokens / tq).toFixed(0)} tokens/s, ${((100 * flops) / tq / peak).toFixed(1)}%); ` +
          `last loss ${oursLoss.toFixed(3)} vs ${peerLoss.toFixed(3)}`,
      );
      // Step i of polyret ran right after step i of each peer, so their ratio cancels the load both saw.
      console.log(`  ${spec} ${precision}: ${describePairedRatio(pairedRatio(oursTimes, peerTimes[best.index]!))}`);
      lines.push(ratioLine(`train-step ${spec} ${precision}`, tp, tq, 's/step'));
    }
  }
  for (const l of lines) console.log(l);
  if (precisions.includes('bf16')) console.log(bf16BenchNote());
  console.log(ratioLine('train-step', totalP, totalQ, `s/step (${precisions[0]}, sum over configs)`));
}
