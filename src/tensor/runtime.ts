import { availableParallelism } from 'node:os';
import { native } from './native.js';
import { Tensor } from './tensor.js';

/** libtorch's version string, e.g. "1.13.0". */
export function torchVersion(): string {
  return native.version();
}

/** Seeds libtorch's default generators (CPU, and CUDA when present): randn, dropout, init. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** The CPU generator's state (a uint8 tensor) for checkpoints. */
export function getRngState(): Tensor {
  return new Tensor(native.getRngState());
}

export function setRngState(state: Tensor): void {
  native.setRngState(state.handle);
}

/**
 * Sets the threads used inside one operator: ATen's (OpenMP) pool and OpenBLAS's own pool, `n` each unless
 * `blas` is given. On a 2-core machine with OpenBLAS, training is fastest with both pools on all cores and
 * inference of small encoders with 1 ATen thread and OpenBLAS on all cores (docs/tensor-engine.md#threads).
 */
export function setNumThreads(n: number, blas = n): void {
  for (const [what, v] of [['threads', n], ['BLAS threads', blas]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`setNumThreads: ${what} must be a positive integer, got ${v}`);
  }
  native.setNumThreads(n);
  native.setBlasThreads(blas);
}

export function getNumThreads(): { aten: number; blas: number } {
  return { aten: native.getNumThreads(), blas: native.getBlasThreads() };
}

/** A description of the compute configuration (threads, BLAS), for logs and benchmarks. */
export function computeInfo(): { torch: string; threads: number; blasThreads: number; blas: string | null; cuda: boolean; cudaDevices: number } {
  return {
    torch: native.version(),
    threads: native.getNumThreads(),
    blasThreads: native.getBlasThreads(),
    blas: native.blasConfig(),
    cuda: native.cudaAvailable(),
    cudaDevices: native.cudaDeviceCount(),
  };
}

export function cudaAvailable(): boolean {
  return native.cudaAvailable();
}

export function cudaSynchronize(): void {
  native.cudaSynchronize();
}

// Default: use every core the machine offers, unless the user pinned threads in the environment.
if (!process.env.OMP_NUM_THREADS && !process.env.POLYRET_THREADS) {
  setNumThreads(Math.max(1, availableParallelism()));
} else if (process.env.POLYRET_THREADS) {
  setNumThreads(Number.parseInt(process.env.POLYRET_THREADS, 10));
}
// POLYRET_ATEN_THREADS sets ATen's pool alone (e.g. 1 for inference, leaving OpenBLAS on all cores).
if (process.env.POLYRET_ATEN_THREADS) native.setNumThreads(Number.parseInt(process.env.POLYRET_ATEN_THREADS, 10));
