/**
 * PyTorch's distributed engine (c10d) from TypeScript: one process group per process, made by a
 * TCPStore rendezvous at MASTER_ADDR:MASTER_PORT (rank 0 hosts the store), over Gloo (CPU tensors)
 * or NCCL (CUDA tensors, where the addon was built with it). The collectives are libtorch's own
 * (ProcessGroupGloo / ProcessGroupNCCL); this file only checks arguments and names errors.
 */
import { native } from '../tensor/native.js';
import { Tensor } from '../tensor/index.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'avg' | 'max' | 'min';

export interface ProcessGroupOptions {
  backend: Backend;
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /**
   * How long the rendezvous and every collective may wait for the other ranks (ms). A rank that
   * dies closes its sockets, which fails the others' collectives at once; the timeout only bounds
   * a rank that hangs alive.
   */
  timeoutMs?: number;
}

/** Default collective timeout: long enough for a validation pass that rank 0 runs alone. */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

let current: { rank: number; worldSize: number; backend: Backend } | null = null;

/** Backends this build of the addon has ('gloo' when built with Gloo's headers, 'nccl' with a CUDA libtorch). */
export function availableBackends(): Backend[] {
  return native.distBackends() as Backend[];
}

/** Joins the process group; blocks until all `worldSize` ranks have joined (or the timeout passes). */
export function initProcessGroup(o: ProcessGroupOptions): void {
  if (current) throw new Error(`initProcessGroup: already initialised (rank ${current.rank} of ${current.worldSize})`);
  if (!Number.isInteger(o.worldSize) || o.worldSize < 1) throw new RangeError(`initProcessGroup: world size must be a positive integer, got ${o.worldSize}`);
  if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) throw new RangeError(`initProcessGroup: rank ${o.rank} is not in 0..${o.worldSize - 1}`);
  if (!Number.isInteger(o.masterPort) || o.masterPort < 1 || o.masterPort > 65535) throw new RangeError(`initProcessGroup: master port must be in 1..65535, got ${o.masterPort}`);
  const have = availableBackends();
  if (!have.includes(o.backend)) {
    throw new Error(`initProcessGroup: backend '${o.backend}' is not in this build of the addon (it has: ${have.length ? have.join(', ') : 'none'}; Gloo needs libgloo-dev, NCCL a CUDA libtorch)`);
  }
  native.initProcessGroup(o.backend, o.rank, o.worldSize, o.masterAddr, o.masterPort, o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  current = { rank: o.rank, worldSize: o.worldSize, backend: o.backend };
}

/** Leaves the process group (closes the store and the group's connections). */
export function destroyProcessGroup(): void {
  if (!current) return;
  native.destroyProcessGroup();
  current = null;
}

export function isInitialized(): boolean {
  return current !== null;
}

/** This process's rank (0 without a process group). */
export function rank(): number {
  return current?.rank ?? 0;
}

/** The number of ranks (1 without a process group). */
export function worldSize(): number {
  return current?.worldSize ?? 1;
}

function need(what: string): void {
  if (!current) throw new Error(`${what}: no process group (call initProcessGroup first)`);
}

/**
 * Runs a collective; when a peer's connection broke (it crashed or was killed), says so in the
 * error, naming the peer when there is only one other rank. Gloo's own message names its address.
 */
function collective<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const msg = (err as Error).message;
    if (current && /Connection reset|Connection closed|Broken pipe|Read error|Write error|EOF|connection was closed/i.test(msg)) {
      const peer = current.worldSize === 2 ? `rank ${1 - current.rank}` : 'another rank';
      throw new Error(`${msg.trim()} — ${peer} has stopped (crashed or killed; see its own error), so rank ${current.rank} stops too`);
    }
    throw err;
  }
}

/** Reduces `tensors` in place over all ranks ('avg' = sum ÷ world size). Tensors must be contiguous. */
export function allReduce(tensors: Tensor[], op: ReduceOp = 'sum'): void {
  need('allReduce');
  if (tensors.length === 0) return;
  collective(() => native.allReduce(tensors.map((t) => t.handle), op));
}

/** Every rank's `t` (same shape on every rank) concatenated along dim 0 in rank order; no gradient. */
export function allGather(t: Tensor): Tensor {
  need('allGather');
  return new Tensor(collective(() => native.allGather(t.handle, false)));
}

/**
 * Like allGather, but differentiable as torch.distributed.nn.all_gather: the backward pass sums
 * the gathered tensor's gradient over all ranks and gives each rank its own slice, so every
 * rank's loss may use every rank's rows. Every rank must run the backward pass.
 */
export function allGatherWithGrad(t: Tensor): Tensor {
  need('allGatherWithGrad');
  return new Tensor(native.allGather(t.handle, true));
}

/** Copies rank `root`'s tensors into every other rank's, in place. */
export function broadcast(tensors: Tensor[], root = 0): void {
  need('broadcast');
  if (tensors.length === 0) return;
  collective(() => native.broadcast(tensors.map((t) => t.handle), root));
}

/** Waits until every rank has reached the barrier. */
export function barrier(): void {
  need('barrier');
  collective(() => native.barrier());
}
