import { cpuBf16Support } from './cpuFeatures.js';
import { native } from './native.js';
import type { Op } from './op.js';
import { DTYPE_CODE } from './scalarType.js';
import { tidy } from './scope.js';
import { callT, Tensor, type Arg } from './tensor.js';

/**
 * How bf16 matrix products (linear, matmul, mm, bmm, baddbmm) run under CPU bf16 autocast.
 *
 * - `libtorch`: libtorch's own bf16 kernels. Native on CPUs with AMX-BF16 or AVX512-BF16 (oneDNN). Without them,
 *   and without AVX-512, libtorch falls back to a reference loop: measured on a 2-core Zen 3 EPYC (AVX2), a
 *   train-step of an L4/H256 BERT took 35 s in bf16 against 1.45 s in fp32 (libtorch 1.13) and 29 s (PyTorch 2.13),
 *   and libtorch 1.13's loop keeps its running sum in bf16, so 512 ones add up to 256.
 * - `emulated`: polyret rounds the operands to bf16, multiplies them with the float32 GEMM (OpenBLAS or MKL) with
 *   libtorch's autocast off for that one call, and rounds the product to bf16. That is what native bf16 hardware
 *   computes (bf16 operands, float32 accumulator, bf16 result): the product of two bf16 numbers is exact in float32,
 *   so only the order of the float32 sums can differ, by at most one bf16 rounding of the result. It runs at fp32's
 *   speed plus a few casts; it never makes bf16 faster than fp32, only not much slower. Gradients follow the same
 *   route (autograd records the casts and the float32 product).
 * - `auto` (the default): `emulated` on a CPU without native bf16 (`cpuBf16Support()`), else `libtorch`.
 *
 * Set by `POLYRET_BF16_PRODUCTS=auto|libtorch|emulated` (read once) or `setBf16Products`. CUDA autocast is never
 * affected, nor are products outside an autocast region (explicit bf16 tensors multiplied by hand).
 */
export type Bf16ProductsSetting = 'auto' | 'libtorch' | 'emulated';

const SETTINGS: readonly Bf16ProductsSetting[] = ['auto', 'libtorch', 'emulated'];

let setting: Bf16ProductsSetting | null = null;
/** Whether the innermost CPU autocast region emulates its bf16 products (false outside any region). */
let emulating = false;

function currentSetting(): Bf16ProductsSetting {
  if (setting === null) {
    const env = process.env.POLYRET_BF16_PRODUCTS;
    if (env !== undefined && env !== '' && !(SETTINGS as readonly string[]).includes(env)) {
      throw new Error(`POLYRET_BF16_PRODUCTS must be ${SETTINGS.join(', ')} or unset, got '${env}'`);
    }
    setting = env ? (env as Bf16ProductsSetting) : 'auto';
  }
  return setting;
}

/** Chooses how CPU bf16 products run from now on (regions already open keep their choice). */
export function setBf16Products(s: Bf16ProductsSetting): void {
  if (!(SETTINGS as readonly string[]).includes(s)) throw new RangeError(`setBf16Products: expected ${SETTINGS.join(', ')}, got '${s}'`);
  setting = s;
}

/** What CPU bf16 autocast regions opened now do with their products: `libtorch` or `emulated` (`auto` resolved). */
export function bf16Products(): 'libtorch' | 'emulated' {
  const s = currentSetting();
  if (s !== 'auto') return s;
  return cpuBf16Support().native ? 'libtorch' : 'emulated';
}

/**
 * Called by `autocast` when a region opens: whether products in it are emulated (`on`), returning the outer
 * region's state for `leaveBf16Region`. CUDA regions pass `null` and keep the enclosing CPU state.
 */
export function enterBf16Region(on: boolean | null): boolean {
  const prev = emulating;
  if (on !== null) emulating = on;
  return prev;
}

export function leaveBf16Region(prev: boolean): void {
  emulating = prev;
}

const ROUNDABLE = new Set(['float32', 'bfloat16', 'float16']);

/**
 * Calls a matrix product `op` (linear, matmul, mm, bmm, baddbmm): libtorch's call, or, inside a CPU bf16 autocast
 * region whose products are emulated, the emulation (see `Bf16ProductsSetting`): the tensor operands rounded to
 * bf16 and held in float32, the float32 kernel with autocast off, the result rounded to bf16. Operands autocast
 * would not cast to bf16 (float64, integers, another device) get libtorch's autocast call unchanged. Outside such a
 * region the cost is one variable read.
 */
export function callProduct(op: Op, list: Arg[]): Tensor {
  if (!emulating) return callT(op, list);
  const dtypes = list.map((a) => (a instanceof Tensor ? a.dtype : null));
  if (!list.every((a, i) => !(a instanceof Tensor) || (ROUNDABLE.has(dtypes[i]!) && a.device === 'cpu'))) return callT(op, list);
  return tidy(() => {
    const rounded = list.map((a, i) => (a instanceof Tensor ? (dtypes[i] === 'bfloat16' ? a.to('float32') : a.to('bfloat16').to('float32')) : a));
    const [on, type] = native.setAutocast('cpu', false, DTYPE_CODE.bfloat16);
    let product: Tensor;
    try {
      product = callT(op, rounded);
    } finally {
      native.setAutocast('cpu', on, type);
    }
    return product.to('bfloat16');
  });
}
