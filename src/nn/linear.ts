import { empty, linear, type Tensor } from '../tensor/index.js';
import { Module } from './module.js';
import { normal_, uniformFanIn_, zeros_ } from './init.js';

export interface LinearOptions {
  bias?: boolean;
  /** 'torch': PyTorch's default uniform init; 'bert': N(0, 0.02) weights and zero bias. */
  init?: 'torch' | 'bert';
  device?: string;
}

/** y = x Wᵀ + b with W [out, in] (PyTorch's and Hugging Face's layout). */
export class Linear extends Module {
  private readonly hasBias: boolean;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.hasBias = opts.bias !== false;
    const w = this.param('weight', empty([outFeatures, inFeatures], { device: opts.device }));
    const b = opts.bias === false ? null : this.param('bias', empty([outFeatures], { device: opts.device }));
    if (opts.init === 'bert') {
      normal_(w, 0, 0.02);
      if (b) zeros_(b);
    } else {
      uniformFanIn_(w, inFeatures);
      if (b) uniformFanIn_(b, inFeatures);
    }
  }

  get weight(): Tensor {
    return this.getParam('weight');
  }

  get bias(): Tensor | null {
    return this.hasBias ? this.getParam('bias') : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
