import { readFileSync } from 'node:fs';
import type { LareqaResults } from './tasks/lareqaProtocol.js';
import type { TatoebaResults } from './tasks/tatoeba.js';
import type { SeenUnseen } from './seenUnseen.js';
import type { BeirResults } from './tasks/beir.js';

/** The tasks `polyret eval --task` runs. */
export const EVAL_TASKS = ['xquad-r', 'mlqa-r', 'miracl', 'tatoeba', 'beir'] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

export function isEvalTask(s: string): s is EvalTask {
  return (EVAL_TASKS as readonly string[]).includes(s);
}

/** The results section each task writes. */
export const TASK_SECTION: Record<EvalTask, 'lareqa' | 'miracl' | 'tatoeba' | 'beir'> = {
  'xquad-r': 'lareqa',
  'mlqa-r': 'lareqa',
  miracl: 'miracl',
  tatoeba: 'tatoeba',
  beir: 'beir',
};

/** One MIRACL language's scores: means and per-query values (trec_eval -c averaging). */
export interface MiraclLanguageResult {
  numQueries: number;
  metrics: Record<string, number>;
  perQuery: { qids: string[]; values: Record<string, number[]> };
  runFile?: string;
}

export interface MiraclResults {
  languages: string[];
  perLanguage: Record<string, MiraclLanguageResult>;
  /** Macro average over languages. */
  macro: Record<string, number>;
}

/**
 * A results file as `polyret eval` writes it and `polyret report` reads it. Per-query values are kept so paired
 * significance tests can be run later against another results file.
 */
export interface EvalResults {
  format: 'polyret-eval-results';
  version: 1;
  /** Display name in reports (`--name`, default: the model or embeddings file name). */
  name: string;
  task: EvalTask;
  createdAt: string;
  /** Every option that shaped the numbers. */
  config: Record<string, unknown>;
  /** What produced the vectors: the embeddings file's sha256, or each model file's sha256. */
  model: { source: 'embeddings' | 'model'; path: string; sha256: Record<string, string> };
  /** sha256 of every data file read, relative to the data folder. */
  data: { dir: string; sha256: Record<string, string> };
  lareqa?: LareqaResults;
  miracl?: MiraclResults;
  tatoeba?: TatoebaResults;
  beir?: BeirResults;
  /** Seen / unseen language averages, when the model folder records its training languages. */
  seenUnseen?: SeenUnseen;
}

/** Reads and checks a results file. */
export function readResults(path: string): EvalResults {
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  const r = obj as Partial<EvalResults>;
  if (r?.format !== 'polyret-eval-results') throw new Error(`${path}: not a polyret results file (field 'format' must be 'polyret-eval-results')`);
  if (r.version !== 1) throw new Error(`${path}: results version ${String(r.version)} is not supported (expected 1)`);
  if (typeof r.task !== 'string' || !isEvalTask(r.task)) throw new Error(`${path}: field 'task' must be one of ${EVAL_TASKS.join(', ')}, got ${JSON.stringify(r.task)}`);
  const section = TASK_SECTION[r.task];
  if (!r[section]) throw new Error(`${path}: task '${r.task}' without its '${section}' section`);
  if (typeof r.name !== 'string') throw new Error(`${path}: field 'name' must be a string`);
  return r as EvalResults;
}
