import { autocast, noGrad } from './autograd.js';
import { ones } from './creation.js';
import { tidy } from './scope.js';
import { cpuBf16Support, type Bf16Support } from './cpuFeatures.js';
import { bf16Products } from './bf16Products.js';

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
 * How this libtorch sums bf16 matrix products on the CPU: 'fp32' (oneDNN, PyTorch 2.x: bf16 operands, float32
 * accumulator) or 'bf16' (libtorch 1.13's fallback GEMM on CPUs without AVX-512, which keeps the running sum in
 * bf16, so a long dot product stalls once the sum outgrows 8 bits of mantissa: 512 ones sum to 256). Probed once
 * with that dot product (microseconds).
 */
export function bf16Accumulation(): 'fp32' | 'bf16' {
  if (probed === null) {
    probed = noGrad(() => tidy(() => ones([1, 512]).to('bfloat16').matmul(ones([512, 1]).to('bfloat16')).item())) === 512 ? 'fp32' : 'bf16';
  }
  return probed;
}
let probed: 'fp32' | 'bf16' | null = null;

/**
 * A note for the user when bf16 is asked for on a CPU without native bf16; null when there is nothing to say (fp32,
 * CUDA, or a CPU with AMX-BF16 / AVX512-BF16). There bf16 still runs: by default its products are emulated at about
 * fp32's speed with float32 sums (bf16Products.ts); with `POLYRET_BF16_PRODUCTS=libtorch` they take libtorch's
 * reference loop, many times slower, and with libtorch 1.13's bf16 accumulation also less accurate.
 */
export function bf16Note(
  precision: Precision, device: string, support: Bf16Support = cpuBf16Support(), accumulation: 'fp32' | 'bf16' = bf16Accumulation(),
  products: 'libtorch' | 'emulated' = bf16Products(),
): string | null {
  if (precision !== 'bf16' || device.startsWith('cuda') || support.native) return null;
  if (products === 'emulated') {
    return `note: bf16 requested, but ${support.reason}. polyret emulates them (bf16-rounded operands, float32 GEMM and sums, bf16 results), ` +
      'at about fp32\'s speed: bf16 gains nothing on this CPU, and fp32 is as fast and more accurate.';
  }
  const acc = accumulation === 'bf16'
    ? ' Worse, this libtorch sums bf16 products in bf16 here (512 ones add up to 256), so long reductions lose accuracy too.'
    : '';
  return `note: bf16 requested, but ${support.reason}: libtorch's bf16 products (POLYRET_BF16_PRODUCTS=libtorch) run a reference loop, many times slower than fp32.${acc} fp32 is faster${acc ? ' and more accurate' : ''} on this CPU.`;
}
