/**
 * torchrun's environment contract: a launcher (torchrun, `polyret train --nproc`, a cluster
 * scheduler) tells each worker who it is through RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
 * MASTER_ADDR and MASTER_PORT.
 */
export interface World {
  rank: number;
  worldSize: number;
  /** Rank among the workers on this machine (picks the GPU). */
  localRank: number;
  /** Workers on this machine (divides the cores). */
  localWorldSize: number;
  masterAddr: string;
  masterPort: number;
}

export const DEFAULT_MASTER_PORT = 29500;

function intVar(env: NodeJS.ProcessEnv, name: string, min: number, fallback?: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new Error(`${name} is not set (torchrun's contract: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK)`);
  }
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min) throw new Error(`${name}=${raw}: expected an integer ≥ ${min}`);
  return n;
}

/**
 * The world this process belongs to, from the environment; null when WORLD_SIZE and RANK are both
 * unset (a single-process run). Malformed or inconsistent values are errors naming the variable.
 */
export function worldFromEnv(env: NodeJS.ProcessEnv = process.env): World | null {
  if ((env.WORLD_SIZE ?? '') === '' && (env.RANK ?? '') === '') return null;
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  const rank = intVar(env, 'RANK', 0);
  if (rank >= worldSize) throw new Error(`RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
  const localRank = intVar(env, 'LOCAL_RANK', 0, worldSize === 1 ? 0 : undefined);
  const localWorldSize = intVar(env, 'LOCAL_WORLD_SIZE', 1, worldSize);
  if (localRank >= localWorldSize) throw new Error(`LOCAL_RANK=${localRank} is not below LOCAL_WORLD_SIZE=${localWorldSize}`);
  const masterAddr = env.MASTER_ADDR ?? '';
  if (worldSize > 1 && masterAddr === '') throw new Error('MASTER_ADDR is not set (the address of rank 0\'s machine)');
  const masterPort = intVar(env, 'MASTER_PORT', 1, worldSize === 1 ? DEFAULT_MASTER_PORT : undefined);
  if (masterPort > 65535) throw new Error(`MASTER_PORT=${masterPort}: expected a port in 1..65535`);
  return { rank, worldSize, localRank, localWorldSize, masterAddr: masterAddr || '127.0.0.1', masterPort };
}

/** The environment a launcher gives worker `rank` (the inverse of worldFromEnv). */
export function worldEnv(w: World): Record<string, string> {
  return {
    RANK: String(w.rank),
    WORLD_SIZE: String(w.worldSize),
    LOCAL_RANK: String(w.localRank),
    LOCAL_WORLD_SIZE: String(w.localWorldSize),
    MASTER_ADDR: w.masterAddr,
    MASTER_PORT: String(w.masterPort),
  };
}
