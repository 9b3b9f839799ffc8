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
 * Sets the threads used inside one operator: ATen's (OpenMP) pool and OpenBLAS's own pool.
 * On a 2-core machine one setting for both avoids the two pools oversubscribing the cores.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
  native.setBlasThreads(n);
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
  const { availableParallelism } = await import('node:os');
  setNumThreads(Math.max(1, availableParallelism()));
} else if (process.env.POLYRET_THREADS) {
  setNumThreads(Number.parseInt(process.env.POLYRET_THREADS, 10));
}
