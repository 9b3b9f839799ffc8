import type { Bf16Support } from '../tensor/cpuFeatures.js';
import type { Precision } from '../tensor/precision.js';

/**
 * Whether bf16 training has been shown as good as fp32 on the demo (docs/training.md#bf16-on-the-cpu). Not yet:
 * the only CPU at hand (AMD EPYC, AVX2) runs bf16 through libtorch 1.13's fallback GEMM, which accumulates in bf16,
 * and there the demo (shortened to 20 steps, same batches) learned more slowly in bf16 (validation loss 4.4305 at
 * step 5 against fp32's 4.4039, from 4.4483). Native bf16 (oneDNN, float32 accumulation) was not available to
 * measure, so the demo stays fp32 until it is; set this to true once a native-bf16 run matches fp32.
 */
export const BF16_DEMO_AS_GOOD = false;

export interface DemoPrecisionChoice {
  precision: Precision;
  /** Printed by the demo: why this precision. */
  reason: string;
}

/**
 * The demo's precision when the user did not choose one: bf16 where the CPU multiplies bf16 natively and bf16 was
 * as good as fp32 on the demo, else fp32. On CUDA the demo keeps fp32 (the choice is about CPUs; pass
 * `--precision bf16` to use bf16 there).
 */
export function chooseDemoPrecision(support: Bf16Support, device: 'cpu' | 'cuda', bf16AsGood = BF16_DEMO_AS_GOOD): DemoPrecisionChoice {
  if (device === 'cuda') return { precision: 'fp32', reason: 'training on CUDA: fp32 (the automatic bf16 choice is for CPUs; --precision bf16 to use it)' };
  if (!support.native) return { precision: 'fp32', reason: `${support.reason}; fp32 is the faster choice here` };
  if (!bf16AsGood) return { precision: 'fp32', reason: `${support.reason}, but bf16 is not yet shown to train the demo as well as fp32 (docs/training.md): fp32` };
  return { precision: 'bf16', reason: `${support.reason}, and bf16 matched fp32 on the demo (docs/training.md): bf16` };
}
