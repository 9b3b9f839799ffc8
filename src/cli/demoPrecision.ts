import type { Bf16Support } from '../tensor/cpuFeatures.js';
import type { Precision } from '../tensor/precision.js';

/**
 * Whether bf16 training was as good as fp32 on the demo (measured, docs/training.md#bf16-on-the-cpu): the demo's
 * config shortened to 20 steps, run in both precisions on the same batches; the training and validation losses
 * track each other to within batch-to-batch noise. Emulated and native bf16 round the same operands to the same
 * 8-bit mantissas, so the finding carries over to CPUs with AMX-BF16 / AVX512-BF16; only the speed differs.
 * (MLQA-R mAP of a bf16-trained model could not be measured on the development machine: see the docs.)
 */
export const BF16_DEMO_AS_GOOD = true;

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
  if (!bf16AsGood) return { precision: 'fp32', reason: `${support.reason}, but bf16 scored below fp32 on the demo (docs/training.md), so fp32` };
  return { precision: 'bf16', reason: `${support.reason}, and bf16 matched fp32 on the demo (docs/training.md): bf16` };
}
