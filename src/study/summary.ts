/**
 * `DIR/summary.json`: the study's state, rewritten atomically after every change, so that a study killed at any
 * moment leaves a summary that says what was done. The report is computed from it and the results files it names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite.js';
import type { GridValue } from './grid.js';

export type RunStatus = 'done' | 'failed' | 'pending';

export interface RunRecord {
  name: string;
  /** Grid key → value. */
  overrides: Record<string, GridValue>;
  status: RunStatus;
  /** The run's `polyret train` output folder, relative to DIR. */
  dir: string;
  /** Evaluation name → results JSON, relative to DIR (only evaluations that finished). */
  results: Record<string, string>;
  /** From the trainer's summary.json, once training finished. */
  train?: { steps: number; stopReason: string; seconds: number; bestStep: number | null; bestValidationLoss: number | null };
  /** The languages training used (from final/polyret_training.json), kept here so the report needs no model files. */
  trainingLanguages?: string[];
  /** Why the run failed (status `failed`). */
  error?: string;
  /** When this study's process started and saw the end of the run's training, and wrote its last evaluation (ISO 8601). */
  times?: { trainStarted?: string; trainEnded?: string; evaluated?: string };
}

export interface StudySummary {
  format: 'polyret-study-summary';
  version: 1;
  /** The study config and the base training config it names (paths relative to DIR). */
  config: string;
  base: string;
  /** The command line that ran (and, with --resume, completes) the study. */
  command?: string;
  grid: Record<string, GridValue[]>;
  seedKey: string;
  evaluations: string[];
  runs: RunRecord[];
}

export const SUMMARY_FILE = 'summary.json';

export function writeSummary(dir: string, s: StudySummary): void {
  writeFileAtomic(join(dir, SUMMARY_FILE), `${JSON.stringify(s, null, 2)}\n`);
}

export function readSummary(dir: string): StudySummary {
  const p = join(dir, SUMMARY_FILE);
  if (!existsSync(p)) throw new Error(`${p}: no study summary here (run \`polyret study --config STUDY.yaml --output ${dir}\` first)`);
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    throw new Error(`${p}: not valid JSON (${(err as Error).message})`);
  }
  const s = obj as Partial<StudySummary>;
  if (s?.format !== 'polyret-study-summary') throw new Error(`${p}: field 'format' must be 'polyret-study-summary'`);
  if (s.version !== 1) throw new Error(`${p}: summary version ${String(s.version)} is not supported (expected 1)`);
  if (!Array.isArray(s.runs)) throw new Error(`${p}: field 'runs' must be a list`);
  s.runs.forEach((r, i) => {
    if (typeof r?.name !== 'string' || typeof r.dir !== 'string' || !['done', 'failed', 'pending'].includes(r.status) || typeof r.results !== 'object')
      throw new Error(`${p}: runs[${i}] needs name, dir, status (done/failed/pending) and results`);
  });
  if (typeof s.seedKey !== 'string' || typeof s.grid !== 'object' || s.grid === null) throw new Error(`${p}: fields 'seedKey' and 'grid' are required`);
  return s as StudySummary;
}
