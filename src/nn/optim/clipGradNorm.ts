import { foreachNorm, foreachMul_, noGrad, stack, type Tensor } from '../../tensor/index.js';

/**
 * Scales all gradients together so their global L2 norm is at most `maxNorm`, as PyTorch's
 * clip_grad_norm_ (coefficient maxNorm / (norm + 1e-6), clamped to 1). Returns the norm before clipping.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return noGrad(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    if (grads.length === 0) return 0;
    const norms = foreachNorm(grads, 2);
    const stacked = stack(norms);
    const total = stacked.norm(2).item();
    stacked.dispose();
    for (const n of norms) n.dispose();
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) foreachMul_(grads, coef);
    for (const g of grads) g.dispose();
    return total;
  });
}
