import { native } from './native.js';
import type { Tensor } from './tensor.js';
import { DTYPE_CODE } from './scalarType.js';
import { bf16Products, enterBf16Region, leaveBf16Region } from './bf16Products.js';

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

/**
 * Runs `fn` under automatic mixed precision on `device` ('cuda': bf16 or fp16; 'cpu': bf16): matrix products
 * and other autocast-eligible ops run in the lower precision, ops on autocast's float32 list (losses; on CUDA
 * also softmax and layer norm) stay float32 — libtorch's own autocast and lists, as PyTorch's `torch.autocast`.
 * Nested regions restore the outer setting. Outputs may be bfloat16: convert embeddings with `.float()` before a loss.
 */
export function autocast<T>(device: 'cpu' | 'cuda', dtype: 'bfloat16' | 'float16', fn: () => T): T {
  // A CPU region decides here whether its bf16 products are emulated (bf16Products.ts); a CUDA one keeps the outer choice.
  const prevEmulating = enterBf16Region(device === 'cpu' ? dtype === 'bfloat16' && bf16Products() === 'emulated' : null);
  const [prevOn, prevType] = native.setAutocast(device, true, DTYPE_CODE[dtype]);
  native.autocastNesting(true);
  try {
    return fn();
  } finally {
    native.autocastNesting(false);
    native.setAutocast(device, prevOn, prevType);
    leaveBf16Region(prevEmulating);
  }
}
