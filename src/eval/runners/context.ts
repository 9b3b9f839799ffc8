import type { Device } from '../../tensor/index.js';
import type { EvalOptions } from '../runEval.js';

/** What every task runner gets from runEval: the options and the settings runEval resolved. */
export interface RunnerContext {
  opts: EvalOptions;
  /** The data folder. */
  dir: string;
  similarity: 'ip' | 'cosine';
  device: Device;
  dim: number;
  /** The results' display name (also the run tag of TREC run files). */
  name: string;
  /** The results' `config`, which runners extend with every option that shaped their numbers. */
  config: Record<string, unknown>;
  /** The model's training languages, when known (for seen / unseen averages). */
  trainingLanguages?: string[];
}
