import { aten } from './aten.js';
import { callT, callTs, callVoid, Tensor } from './tensor.js';
import { callProduct } from './bf16Products.js';

/** Concatenates along an existing dimension. */
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return callT(aten.cat, [tensors, dim]);
}

/** Stacks along a new dimension. */
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return callT(aten.stack, [tensors, dim]);
}

/** Elementwise `cond ? a : b`; `b` may be a number. */
export function where(cond: Tensor, a: Tensor, b: Tensor | number): Tensor {
  return typeof b === 'number' ? callT(aten.whereScalarOther, [cond, a, b]) : callT(aten.where, [cond, a, b]);
}

/** x W^T + b, PyTorch's F.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return callProduct(aten.linear, [x, weight, bias ?? null]);
}

/** Row lookup of `ids` (int64) in `weight` [V, D]. */
export function embedding(weight: Tensor, ids: Tensor, paddingIdx = -1): Tensor {
  return callT(aten.embedding, [weight, ids, paddingIdx]);
}

/** Layer normalisation over the trailing `normalizedShape` dimensions. */
export function layerNorm(x: Tensor, normalizedShape: number[], weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  return callT(aten.layerNorm, [x, normalizedShape, weight, bias, eps]);
}

/** Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p) when `train`. */
export function dropout(x: Tensor, p: number, train: boolean): Tensor {
  if (!train || p === 0) return x;
  return callT(aten.dropout, [x, p, train]);
}

export function softmax(x: Tensor, dim: number): Tensor {
  return callT(aten.softmax, [x, dim]);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return callT(aten.logSoftmax, [x, dim]);
}

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** Cross-entropy of logits [N, C] against class indices [N] (int64), PyTorch's F.cross_entropy. */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  opts: { reduction?: Reduction; ignoreIndex?: number; labelSmoothing?: number; weight?: Tensor } = {},
): Tensor {
  return callT(aten.crossEntropy, [
    logits, target, opts.weight ?? null, REDUCTION[opts.reduction ?? 'mean'], opts.ignoreIndex ?? -100, opts.labelSmoothing ?? 0,
  ]);
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return callT(aten.mseLoss, [input, target, REDUCTION[reduction]]);
}

/** x / max(‖x‖_p, eps) along `dim`, PyTorch's F.normalize. */
export function normalize(x: Tensor, p = 2, dim = -1, eps = 1e-12): Tensor {
  const n = x.norm(p, dim, true);
  const c = n.clampMin(eps);
  const e = c.expandAs(x);
  const out = x.div(e);
  n.dispose();
  c.dispose();
  e.dispose();
  return out;
}

/** Batched out = beta * input + alpha * (b1 @ b2). */
export function baddbmm(input: Tensor, b1: Tensor, b2: Tensor, beta = 1, alpha = 1): Tensor {
  return callProduct(aten.baddbmm, [input, b1, b2, beta, alpha]);
}

/** L2 norms of each tensor in a list, as one call (for gradient clipping). */
export function foreachNorm(tensors: Tensor[], p = 2): Tensor[] {
  return callTs(aten.foreachNorm, [tensors, p]);
}

export function foreachMul_(tensors: Tensor[], scalar: number): void {
  if (tensors.length) callVoid(aten.foreachMulScalar_, [tensors, scalar]);
}
