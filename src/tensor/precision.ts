import { autocast } from './autograd.js';
import { cpuBf16Support, type Bf16Support } from './cpuFeatures.js';

/**
 * The arithmetic a forward pass runs in. `fp32`: everything float32. `bf16`: mixed precision — the weights stay
 * float32, matrix products (linear, matmul) run in bfloat16 under libtorch's autocast, ops on autocast's float32
 * list stay float32, and callers convert outputs back to float32.
 */
export type Precision = 'fp32' | 'bf16';

export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

export function isPrecision(s: string): s is Precision {
  return (PRECISIONS as readonly string[]).includes(s);
}

/** Runs `fn` in `precision` on `device` ('cpu', 'cuda', 'cuda:N'). Outputs of a bf16 region may be bfloat16. */
export function withPrecision<T>(precision: Precision, device: string, fn: () => T): T {
  if (precision === 'fp32') return fn();
  return autocast(device.startsWith('cuda') ? 'cuda' : 'cpu', 'bfloat16', fn);
}

/**
 * A note for the user when bf16 is asked for on a CPU without native bf16 (it still runs, emulated and slower
 * than fp32); null when there is nothing to say (fp32, CUDA, or a CPU with AMX-BF16 / AVX512-BF16).
 */
export function bf16Note(precision: Precision, device: string, support: Bf16Support = cpuBf16Support()): string | null {
  if (precision !== 'bf16' || device.startsWith('cuda') || support.native) return null;
  return `note: bf16 requested, but ${support.reason}. Results are valid (same mixed-precision arithmetic), ` +
    'only slower; use fp32 on this CPU for speed.';
}
