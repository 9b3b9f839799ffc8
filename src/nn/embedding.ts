import { embedding, empty, noGrad, type Tensor } from '../tensor/index.js';
import { Module } from './module.js';
import { normal_ } from './init.js';

/** A lookup table [num, dim]; `paddingIdx` rows start at zero and receive no gradient. */
export class Embedding extends Module {
  constructor(readonly num: number, readonly dim: number, readonly paddingIdx: number | null = null, opts: { std?: number; device?: string } = {}) {
    super();
    const w = this.param('weight', empty([num, dim], { device: opts.device }));
    // BERT initialises N(0, 0.02); PyTorch's nn.Embedding N(0, 1). BERT's is the one this project needs.
    normal_(w, 0, opts.std ?? 0.02);
    if (paddingIdx !== null) {
      if (paddingIdx < 0 || paddingIdx >= num) throw new RangeError(`Embedding: paddingIdx ${paddingIdx} outside [0, ${num})`);
      noGrad(() => {
        const row = w.select(0, paddingIdx);
        row.zero_();
        row.dispose();
      });
    }
  }

  get weight(): Tensor {
    return this.getParam('weight');
  }

  /** ids: int64 tensor of any shape → [..., dim]. */
  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids, this.paddingIdx ?? -1);
  }
}
