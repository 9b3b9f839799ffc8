/**
 * One rank of `npm run bench -- ddp` (polyret's side): the BERT-like bi-encoder of bench/ddp_peer.py,
 * trained data-parallel over c10d as the trainer does it — each rank embeds its share of the global
 * batch in one forward pass, the embeddings are all-gathered with gradient, every rank computes the
 * whole batch's InfoNCE, gradients are averaged in buckets (averageGradients), AdamW steps. Started
 * by bench/ddp.ts with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; rank 0 prints one JSON line.
 */
import { parseArgs } from 'node:util';
import {
  arange, crossEntropy, cudaSynchronize, manualSeed, normalize, ones, randint, setNumThreads, tidy, torchVersion, type Tensor,
} from '../src/tensor/index.js';
import { BertModel, newEncoderConfig } from '../src/models/index.js';
import { AdamW } from '../src/nn/optim/index.js';
import { allGatherWithGrad, averageGradients, broadcast, destroyProcessGroup, initProcessGroup, worldFromEnv } from '../src/dist/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    layers: { type: 'string', default: '4' },
    hidden: { type: 'string', default: '256' },
    heads: { type: 'string', default: '4' },
    vocab: { type: 'string', default: '30522' },
    seq: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    device: { type: 'string', default: 'cpu' },
  },
});
const n = (k: keyof typeof values): number => Number(values[k]);
const world = worldFromEnv();
const rank = world?.rank ?? 0;
const size = world?.worldSize ?? 1;
const device = values.device === 'cuda' ? `cuda:${world?.localRank ?? 0}` : 'cpu';
setNumThreads(n('threads'));
if (world && size > 1) initProcessGroup({ backend: values.device === 'cuda' ? 'nccl' : 'gloo', rank, worldSize: size, masterAddr: world.masterAddr, masterPort: world.masterPort });

manualSeed(1);
const config = newEncoderConfig({ modelType: 'bert', vocabSize: n('vocab'), hiddenSize: n('hidden'), numHiddenLayers: n('layers'), numAttentionHeads: n('heads'), padTokenId: 0 });
const model = new BertModel(config, { addPoolingLayer: false }).train();
if (device !== 'cpu') model.to(device);
const params = model.namedParameters().map(([, t]) => t);
if (size > 1) for (const p of params) broadcast([p], 0);
const opt = new AdamW(model.namedParameters(), { lr: 3e-5, weightDecay: 0.01 });
const local = Math.floor(n('batch') / size);
manualSeed(100 + rank);
const ids = randint(1, n('vocab'), [2 * local, n('seq')], { device });
const mask = ones([2 * local, n('seq')], { dtype: 'int64', device });
const labels = arange(n('batch'), undefined, 1, { device });
const sync = (): void => {
  if (device !== 'cpu') cudaSynchronize();
};
const now = (): number => Number(process.hrtime.bigint()) / 1e9;

interface StepTimes { seconds: number; gather: number; reduce: number }
function step(): StepTimes {
  sync();
  const t0 = now();
  let gather = 0;
  tidy(() => {
    const e = normalize(model.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState.select(1, 0), 2, -1);
    let q: Tensor = e.narrow(0, 0, local);
    let p: Tensor = e.narrow(0, local, local);
    if (size > 1) {
      sync();
      const g0 = now();
      q = allGatherWithGrad(q.contiguous());
      p = allGatherWithGrad(p.contiguous());
      gather = now() - g0;
    }
    crossEntropy(q.matmul(p.t()).div(0.05), labels).backward();
  });
  sync();
  const r0 = now();
  averageGradients(params);
  sync();
  const reduce = now() - r0;
  opt.step();
  opt.zeroGrad();
  sync();
  return { seconds: now() - t0, gather, reduce };
}

const all: StepTimes[] = [];
for (let s = 0; s < n('warmup') + n('steps'); s++) all.push(step());
const kept = all.slice(n('warmup'));
if (rank === 0) {
  const gradBytes = params.reduce((a, p) => a + p.numel * 4, 0);
  process.stdout.write(`${JSON.stringify({
    times: kept.map((t) => t.seconds), gather: kept.map((t) => t.gather), reduce: kept.map((t) => t.reduce),
    torch: torchVersion(), world: size, params: params.reduce((a, p) => a + p.numel, 0), gradBytes,
  })}\n`);
}
if (size > 1) destroyProcessGroup();
