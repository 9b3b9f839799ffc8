export { AdamW, decayGroups, type AdamWOptions, type ParamGroup, type OptimizerState } from './adamw.js';
export { clipGradNorm } from './clipGradNorm.js';
export { LrScheduler, lrFactor, type ScheduleName, type ScheduleOptions } from './schedule.js';
