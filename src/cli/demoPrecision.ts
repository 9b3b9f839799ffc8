import type { Bf16Support } from '../tensor/cpuFeatures.js';
import type { Bf16Speed } from '../tensor/bf16Speed.js';
import type { Precision } from '../tensor/precision.js';

/**
 * Whether bf16 training has been shown as good as fp32 on the demo (docs/training.md#bf16-on-the-cpu). Yes, with
 * native bf16 (oneDNN, float32 accumulation): on an Emerald Rapids VM with AVX512-BF16 (libtorch 1.13, same seed and
 * batches) the 360-step demo's validation losses agreed with fp32's to 6e-4 at every evaluation, the best step was
 * the same (260, loss 2.3360 against 2.3363) and zero-shot MLQA-R mAP was 0.1771/0.0163/0.0440 against
 * 0.1772/0.0162/0.0440. (Emulated bf16 on libtorch 1.13, which accumulates in bf16, learned more slowly; the demo
 * never picks bf16 there.)
 */
export const BF16_DEMO_AS_GOOD = true;

/** bf16 must run the products at most this fraction of fp32's time for the demo to choose it. */
export const BF16_DEMO_MIN_SPEEDUP = 0.9;

export interface DemoPrecisionChoice {
  precision: Precision;
  /** Printed by the demo: why this precision. */
  reason: string;
}

/**
 * The demo's precision when the user did not choose one: bf16 where the CPU multiplies bf16 natively, bf16 was as
 * good as fp32 on the demo, and bf16 products are measurably faster here (`speed`, called only when the first two
 * hold: a fraction of a second), else fp32. On CUDA the demo keeps fp32 (the choice is about CPUs; pass
 * `--precision bf16` to use bf16 there).
 */
export function chooseDemoPrecision(support: Bf16Support, device: 'cpu' | 'cuda', speed: () => Bf16Speed, bf16AsGood = BF16_DEMO_AS_GOOD): DemoPrecisionChoice {
  if (device === 'cuda') return { precision: 'fp32', reason: 'training on CUDA: fp32 (the automatic bf16 choice is for CPUs; --precision bf16 to use it)' };
  if (!support.native) return { precision: 'fp32', reason: `${support.reason}; fp32 is the faster choice here` };
  if (!bf16AsGood) return { precision: 'fp32', reason: `${support.reason}, but bf16 is not yet shown to train the demo as well as fp32 (docs/training.md): fp32` };
  const s = speed();
  const measured = `the model's products took ${s.bf16Ms.toFixed(2)} ms in bf16 against ${s.fp32Ms.toFixed(2)} ms in fp32 here (×${s.ratio.toFixed(2)})`;
  if (!(s.ratio <= BF16_DEMO_MIN_SPEEDUP)) return { precision: 'fp32', reason: `${support.reason}, but ${measured}: fp32` };
  return { precision: 'bf16', reason: `${support.reason}, bf16 matched fp32 on the demo (docs/training.md), and ${measured}: bf16` };
}
