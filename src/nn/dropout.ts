import { dropout, type Tensor } from '../tensor/index.js';
import { Module } from './module.js';

/** Inverted dropout, active only in training mode. In eval mode it returns its input unchanged. */
export class Dropout extends Module {
  constructor(readonly p: number) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}
