import { readFileSync } from 'node:fs';
import type { LareqaResults } from './tasks/lareqaProtocol.js';
import type { TatoebaResults } from './tasks/tatoeba.js';
import type { SeenUnseen } from './seenUnseen.js';
import type { BeirResults } from './tasks/beir.js';
import { evalResultsSchema } from './resultsSchema.js';
import { parseJsonFile, parseWithSchema } from '../util/schema.js';

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

/** Reads and checks a results file against its schema (src/eval/resultsSchema.ts); errors name the file and field. */
export function readResults(path: string): EvalResults {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${path}: ${code === 'EISDIR' ? 'it is a folder, not a results file' : code === 'ENOENT' ? 'no such file' : (err as Error).message}${code ? ` (${code})` : ''}`);
  }
  const obj = parseJsonFile(text, path);
  const o = obj as { format?: unknown; version?: unknown } | null;
  // The two fields that say what the file is get their own messages: the common mistake is another JSON file.
  if (typeof o !== 'object' || o === null || o.format !== 'polyret-eval-results') throw new Error(`${path}: not a polyret results file (field 'format' must be 'polyret-eval-results')`);
  if (o.version !== 1) throw new Error(`${path}: results version ${String(o.version)} is not supported (expected 1)`);
  return parseWithSchema(evalResultsSchema, obj, path) as EvalResults;
}
