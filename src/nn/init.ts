import { noGrad, type Tensor } from '../tensor/index.js';

/** In-place initialisers (under noGrad); each returns its tensor. */

/** N(mean, std²), BERT's initialisation with std 0.02. */
export function normal_(t: Tensor, mean = 0, std = 0.02): Tensor {
  noGrad(() => t.normal_(mean, std));
  return t;
}

export function zeros_(t: Tensor): Tensor {
  noGrad(() => t.zero_());
  return t;
}

export function ones_(t: Tensor): Tensor {
  noGrad(() => t.fill_(1));
  return t;
}

/** U(-b, b) with b = 1/sqrt(fanIn): PyTorch's default for nn.Linear weights (kaiming_uniform a=√5) and biases. */
export function uniformFanIn_(t: Tensor, fanIn: number): Tensor {
  const b = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  noGrad(() => t.uniform_(-b, b));
  return t;
}
