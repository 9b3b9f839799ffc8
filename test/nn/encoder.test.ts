import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arange, crossEntropy, normalize, tidy, type Tensor,
} from '../../src/tensor/index.js';
import { Embedding, LayerNorm, Module, ModuleGroup, ModuleList, TransformerEncoderLayer, additiveAttentionMask } from '../../src/nn/index.js';
import { AdamW, clipGradNorm } from '../../src/nn/optim/index.js';
import { assertClose, fx, ids, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface LayerFixture {
  params: Record<string, FixtureTensor>;
  x: FixtureTensor; mask: number[]; maskShape: number[];
  y: FixtureTensor; w: FixtureTensor;
  grads: Record<string, FixtureTensor>; gradX: FixtureTensor;
}
interface ModelFixture {
  params: Record<string, FixtureTensor>; names: string[];
  qIds: number[]; qMask: number[]; pIds: number[]; pMask: number[];
  B: number; S: number; V: number; temperature: number;
  loss: number; gradNorm: number;
  clippedGrads: Record<string, FixtureTensor>; after: Record<string, FixtureTensor>;
}
const F = readFixture<{ layer: LayerFixture; model: ModelFixture }>('tensor', 'encoder.json');
const H = 16;

function toMap(params: Record<string, FixtureTensor>): Map<string, Tensor> {
  return new Map(Object.entries(params).map(([k, v]) => [k, fx(v)]));
}

test('encoder layer forward and gradients match PyTorch (BertLayer semantics)', () => {
  const layer = new TransformerEncoderLayer({ hidden: H, heads: 4, intermediate: 32 }).eval();
  layer.loadStateDict(toMap(F.layer.params));
  tidy(() => {
    const x = fx(F.layer.x).requiresGrad_(true);
    const mask = additiveAttentionMask(ids(F.layer.mask, F.layer.maskShape));
    const y = layer.forward(x, mask);
    assertClose(y, F.layer.y, 'layer output');
    y.mul(fx(F.layer.w)).sum().backward();
    assertClose(x.grad!, F.layer.gradX, 'grad wrt input');
    for (const [name, p] of layer.namedParameters()) assertClose(p.grad!, F.layer.grads[name]!, `grad ${name}`);
  });
  layer.dispose();
});

class TinyEncoder extends Module {
  readonly words: Embedding;
  readonly ln: LayerNorm;
  readonly layers: ModuleList<TransformerEncoderLayer>;
  constructor(v: number) {
    super();
    const emb = this.module('embeddings', new ModuleGroup());
    this.words = emb.add('word_embeddings', new Embedding(v, H));
    this.ln = emb.add('LayerNorm', new LayerNorm(H, 1e-12));
    const enc = this.module('encoder', new ModuleGroup());
    this.layers = enc.add('layer', new ModuleList([0, 1].map(() => new TransformerEncoderLayer({ hidden: H, heads: 4, intermediate: 32 }))));
  }
  encode(idsT: Tensor, maskT: Tensor): Tensor {
    let h = this.ln.forward(this.words.forward(idsT));
    const m = additiveAttentionMask(maskT);
    for (const l of this.layers.items) h = l.forward(h, m);
    return normalize(h.select(1, 0), 2, -1);
  }
}

test('2-layer encoder + InfoNCE + clipping + one AdamW step match PyTorch', () => {
  const M = F.model;
  const model = new TinyEncoder(M.V).eval();
  model.loadStateDict(toMap(M.params));
  assert.deepEqual(model.namedParameters().map(([n]) => n).sort(), [...M.names].sort());
  const opt = new AdamW(model.namedParameters(), { lr: 1e-3, weightDecay: 0.01 });
  tidy(() => {
    const q = model.encode(ids(M.qIds, [M.B, M.S]), ids(M.qMask, [M.B, M.S]));
    const p = model.encode(ids(M.pIds, [M.B, M.S]), ids(M.pMask, [M.B, M.S]));
    const scores = q.matmul(p.t()).div(M.temperature);
    const loss = crossEntropy(scores, arange(M.B));
    assert.ok(Math.abs(loss.item() - M.loss) < 1e-5, `loss ${loss.item()} vs ${M.loss}`);
    loss.backward();
  });
  const norm = clipGradNorm(model.parameters(), 1.0);
  assert.ok(Math.abs(norm - M.gradNorm) < 1e-4 * Math.max(1, M.gradNorm), `grad norm ${norm} vs ${M.gradNorm}`);
  for (const [name, p] of model.namedParameters()) tidy(() => assertClose(p.grad!, M.clippedGrads[name]!, `clipped grad ${name}`));
  // Attention key biases have a true gradient of exactly 0 (softmax ignores a per-row shift), so backward
  // leaves them float noise whose sign depends on the BLAS kernel, and AdamW would turn it into ±lr steps.
  // They are checked to be ~0 above and here, then set to the exact 0 they are, as the fixture generator
  // does, so the step below checks AdamW rather than the sign of noise.
  for (const [name, p] of model.namedParameters()) {
    if (!name.endsWith('attention.self.key.bias')) continue;
    const g = p.grad!.toFloat32Array();
    assert.ok(g.every((x) => Math.abs(x) < 1e-6), `${name}: true gradient is 0, got up to ${Math.max(...g.map(Math.abs))}`);
    p.grad!.zero_();
  }
  opt.step();
  for (const [name, p] of model.namedParameters()) assertClose(p, M.after[name]!, `after AdamW ${name}`);
  opt.dispose();
  model.dispose();
});
