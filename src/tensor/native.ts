import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../util/dataDir.js';
import { readCpuinfo } from './cpuinfo.js';
import { applyOpenblasCore } from './openblasCore.js';

/**
 * A reference to a libtorch tensor held in the addon's slot table: a plain number (2^44 + slot),
 * so that tensors cost JavaScript no GC object or finalizer of their own.
 */
export type NativeHandle = number & { readonly __nativeTensor: unique symbol };

/** The offset of handles (see native/src/common.h): numbers at or above it name tensors. */
export const HANDLE_BASE = 2 ** 44;

/** A value the generic operator call accepts for one schema argument. */
export type OpArg = NativeHandle | number | bigint | boolean | string | null | undefined | OpArg[];
/** What an operator call returns: handles for tensors, arrays for tuples and lists. */
export type OpResult = NativeHandle | number | boolean | string | null | OpResult[];

/** The functions the C++ addon (native/src) exports. */
export interface NativeBinding {
  opHandle(name: string, overload: string): number;
  opSchema(id: number): string;
  call(id: number, args: OpArg[], wantResult: boolean): OpResult | undefined;
  fromBuffer(data: ArrayBufferView, shape: number[], dtype: number, device?: string, pin?: boolean): NativeHandle;
  toBuffer(h: NativeHandle): ArrayBuffer;
  shape(h: NativeHandle): number[];
  dtype(h: NativeHandle): number;
  device(h: NativeHandle): string;
  item(h: NativeHandle): number | boolean;
  free(h: NativeHandle): void;
  isLive(h: NativeHandle): boolean;
  liveHandles(): number;
  setAutocast(device: 'cpu' | 'cuda', enabled: boolean, dtype: number): [boolean, number];
  autocastNesting(enter: boolean): number;
  requiresGrad(h: NativeHandle): boolean;
  setRequiresGrad(h: NativeHandle, on: boolean): void;
  isLeaf(h: NativeHandle): boolean;
  grad(h: NativeHandle): NativeHandle | null;
  setGrad(h: NativeHandle, g: NativeHandle | null): void;
  retainGrad(h: NativeHandle): void;
  backward(outputs: NativeHandle[], grads: (NativeHandle | null)[], retainGraph: boolean): void;
  gradEnabled(): boolean;
  setGradEnabled(on: boolean): boolean;
  manualSeed(seed: number): void;
  getRngState(): NativeHandle;
  setRngState(h: NativeHandle): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setBlasThreads(n: number): boolean;
  getBlasThreads(): number;
  blasConfig(): string | null;
  version(): string;
  parallelInfo(): string;
  cudaAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(): void;
  // c10d (native/src/dist.cc; src/dist wraps these)
  distBackends(): string[];
  initProcessGroup(backend: string, rank: number, size: number, masterAddr: string, masterPort: number, timeoutMs: number): void;
  destroyProcessGroup(): void;
  allReduce(hs: NativeHandle[], op: 'sum' | 'avg' | 'max' | 'min'): void;
  allGather(h: NativeHandle, withGrad: boolean): NativeHandle;
  broadcast(hs: NativeHandle[], root: number): void;
  barrier(): void;
}

function load(): NativeBinding {
  // libtorch's OpenMP pool and OpenBLAS's pthread pool share the cores. With OpenMP's default
  // (active) waiting, idle OpenMP threads spin after every parallel region and starve OpenBLAS:
  // measured on 2 cores, a BERT forward took 148 ms with 2+2 threads against 56 ms with passive
  // waiting. libgomp reads this once, when libtorch loads, so it is set before the addon is loaded.
  if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
  // OpenBLAS picks its kernels once, when it loads, from the CPU's model number, and falls back to SSE3 kernels
  // (5× slower matmul) on models newer than itself; the kernels are chosen here from the CPU's instruction sets
  // instead, unless the user set OPENBLAS_CORETYPE (src/tensor/openblasCore.ts).
  applyOpenblasCore(process.env, readCpuinfo(), arch());
  const require = createRequire(import.meta.url);
  const root = projectRoot();
  const candidates = [
    process.env.POLYRET_NATIVE,
    join(root, 'native', 'build', 'Release', 'polyret_native.node'),
    join(root, 'native', 'build', 'Debug', 'polyret_native.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  for (const p of candidates) {
    if (existsSync(p)) return require(p) as NativeBinding;
  }
  throw new Error(
    `polyret's libtorch addon is not built (looked in ${candidates.join(', ')}). ` +
      'Run `npm ci` (or `npm run build`) after installing libtorch (`apt-get install -y libtorch-dev libopenblas0-pthread`).',
  );
}

/** The loaded addon (loaded once, on first import). */
export const native: NativeBinding = load();
