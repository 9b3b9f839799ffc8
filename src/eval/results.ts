import { readFileSync } from 'node:fs';
import type { LareqaResults } from './tasks/lareqaProtocol.js';

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
  task: 'xquad-r' | 'mlqa-r' | 'miracl';
  createdAt: string;
  /** Every option that shaped the numbers. */
  config: Record<string, unknown>;
  /** What produced the vectors: the embeddings file's sha256, or each model file's sha256. */
  model: { source: 'embeddings' | 'model'; path: string; sha256: Record<string, string> };
  /** sha256 of every data file read, relative to the data folder. */
  data: { dir: string; sha256: Record<string, string> };
  lareqa?: LareqaResults;
  miracl?: MiraclResults;
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
  if (r.task === 'miracl' ? !r.miracl : !r.lareqa) throw new Error(`${path}: task '${String(r.task)}' without its '${r.task === 'miracl' ? 'miracl' : 'lareqa'}' section`);
  if (typeof r.name !== 'string') throw new Error(`${path}: field 'name' must be a string`);
  return r as EvalResults;
}
