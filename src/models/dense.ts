/**
 * sentence-transformers' Dense module (e.g. LaBSE's 768→768 tanh projection): `linear.weight`, `linear.bias`
 * in `<folder>/model.safetensors`, sizes and activation in `<folder>/config.json`.
 */
import { tidy, type Tensor } from '../tensor/index.js';
import { Linear, Module } from '../nn/index.js';

/** sentence-transformers stores the activation as a torch class path; these are the ones polyret maps. */
const ACTIVATIONS: Record<string, ((x: Tensor) => Tensor) | null> = {
  'torch.nn.modules.activation.Tanh': (x) => x.tanh(),
  'torch.nn.modules.linear.Identity': null,
  'torch.nn.modules.activation.ReLU': (x) => x.relu(),
  'torch.nn.modules.activation.GELU': (x) => x.gelu('none'),
  'torch.nn.modules.activation.Sigmoid': (x) => x.sigmoid(),
};

export interface DenseConfig {
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  activationFunction: string;
}

export function parseDenseConfig(raw: unknown, source: string): DenseConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${source}: Dense config must be a JSON object`);
  const j = raw as Record<string, unknown>;
  const int = (k: string): number => {
    const v = j[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${source}: field "${k}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const act = j.activation_function ?? 'torch.nn.modules.activation.Tanh';
  if (typeof act !== 'string' || !(act in ACTIVATIONS)) {
    throw new Error(`${source}: activation_function ${JSON.stringify(act)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  if (j.bias !== undefined && typeof j.bias !== 'boolean') throw new Error(`${source}: field "bias" must be true or false`);
  // sentence-transformers ≥ 6 options that change the computation.
  if (j.use_residual === true) throw new Error(`${source}: use_residual true is not supported (polyret's Dense is activation(W·x + b))`);
  return { inFeatures: int('in_features'), outFeatures: int('out_features'), bias: j.bias !== false, activationFunction: act };
}

export function denseConfigJson(c: DenseConfig): Record<string, unknown> {
  return { in_features: c.inFeatures, out_features: c.outFeatures, bias: c.bias, activation_function: c.activationFunction };
}

/** act(x Wᵀ + b), with the parameter names sentence-transformers saves (`linear.weight`, `linear.bias`). */
export class SentenceDense extends Module {
  readonly linear: Linear;
  private readonly act: ((x: Tensor) => Tensor) | null;

  constructor(readonly config: DenseConfig) {
    super();
    this.linear = this.module('linear', new Linear(config.inFeatures, config.outFeatures, { bias: config.bias }));
    this.act = ACTIVATIONS[config.activationFunction]!;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const y = this.linear.forward(x);
      return this.act ? this.act(y) : y;
    });
  }
}
