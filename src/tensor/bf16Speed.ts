import { noGrad } from './autograd.js';
import { randn } from './creation.js';
import { withPrecision } from './precision.js';
import { tidy } from './scope.js';

/** How fast this CPU (and this libtorch) runs a model's matrix products in bf16 against fp32. */
export interface Bf16Speed {
  /** Milliseconds for the products in fp32 (best of the repeats). */
  readonly fp32Ms: number;
  /** Milliseconds for the same products under bf16 autocast, operand casts included (best of the repeats). */
  readonly bf16Ms: number;
  /** bf16Ms / fp32Ms: below 1, bf16 is faster. */
  readonly ratio: number;
}

/**
 * Times a transformer layer's two feed-forward products, `[tokens × hidden] · [hidden × intermediate]` and
 * `[tokens × intermediate] · [intermediate × hidden]`, in fp32 and under bf16 autocast as training runs them
 * (float32 inputs and weights, cast by autocast on every call), best of `repeats`, on the CPU's current threads.
 *
 * Why measured rather than assumed: AVX512-BF16 without AMX does not make bf16 faster. On a 2-core Emerald Rapids VM
 * (AVX512-BF16 exposed, AMX not) bf16 products took 1.3–2.1× as long as fp32 (OpenBLAS SkylakeX or MKL) at every
 * shape tried, with libtorch 1.13 and 2.13 alike. A fraction of a second at the demo's sizes.
 */
export function measureBf16Speed(hidden: number, intermediate: number, opts: { tokens?: number; repeats?: number } = {}): Bf16Speed {
  const tokens = opts.tokens ?? 4096;
  const repeats = opts.repeats ?? 5;
  return noGrad(() => tidy(() => {
    const x = randn([tokens, hidden]);
    const w1 = randn([hidden, intermediate]);
    const h = randn([tokens, intermediate]);
    const w2 = randn([intermediate, hidden]);
    const run = (p: 'fp32' | 'bf16') => tidy(() => {
      withPrecision(p, 'cpu', () => x.matmul(w1)).dispose();
      withPrecision(p, 'cpu', () => h.matmul(w2)).dispose();
    });
    const time = (p: 'fp32' | 'bf16') => {
      run(p); // warm-up: oneDNN builds its kernels on the first call
      let best = Infinity;
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        run(p);
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    // Interleaved order, so a change of machine load in the middle hits both.
    const fp32a = time('fp32');
    const bf16Ms = time('bf16');
    const fp32Ms = Math.min(fp32a, time('fp32'));
    return { fp32Ms, bf16Ms, ratio: bf16Ms / fp32Ms };
  }));
}
