import { native } from './native.js';
import type { Tensor } from './tensor.js';

/** Runs `fn` with gradient recording off (PyTorch's torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs `fn` with gradient recording on, e.g. inside a noGrad region. */
export function enableGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(true);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

export function isGradEnabled(): boolean {
  return native.gradEnabled();
}

/** Backpropagates from several outputs at once, each with its gradient (null for scalars). */
export function backward(outputs: Tensor[], grads: (Tensor | null)[] = [], opts: { retainGraph?: boolean } = {}): void {
  native.backward(
    outputs.map((t) => t.handle),
    outputs.map((_, i) => grads[i]?.handle ?? null),
    opts.retainGraph ?? false,
  );
}
