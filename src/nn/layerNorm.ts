import { layerNorm, ones, zeros, type Tensor } from '../tensor/index.js';
import { Module } from './module.js';

/** Layer normalisation over the last dimension, with Hugging Face's parameter names (weight, bias). */
export class LayerNorm extends Module {
  constructor(readonly dim: number, readonly eps = 1e-12, opts: { device?: string } = {}) {
    super();
    this.param('weight', ones([dim], { device: opts.device }));
    this.param('bias', zeros([dim], { device: opts.device }));
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, [this.dim], this.getParam('weight'), this.getParam('bias'), this.eps);
  }
}
