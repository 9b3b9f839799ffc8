/** Data-parallel training on c10d (Gloo, NCCL): process groups, collectives, gradient averaging. */
export {
  initProcessGroup, destroyProcessGroup, isInitialized, rank, worldSize, availableBackends,
  allReduce, allGather, allGatherWithGrad, broadcast, barrier, DEFAULT_TIMEOUT_MS,
  type Backend, type ReduceOp, type ProcessGroupOptions,
} from './processGroup.js';
export { averageGradients, DEFAULT_BUCKET_BYTES } from './gradReducer.js';
export { worldFromEnv, worldEnv, DEFAULT_MASTER_PORT, type World } from './worldEnv.js';
export { assertSameOnAllRanks } from './sameOnAllRanks.js';
