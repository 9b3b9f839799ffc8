import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { outputError } from '../util/outputWriter.js';

/** One line of the metrics log; every record has a kind and the optimizer step it belongs to. */
export interface MetricsRecord {
  kind: 'train' | 'validation' | 'retrieval' | 'skip' | 'event' | 'summary';
  step: number;
  [key: string]: unknown;
}

/**
 * The JSONL metrics log (`OUTPUT/metrics.jsonl`). Lines are appended as training goes; on resume
 * the lines of steps after the checkpoint are dropped, because the resumed run writes them again.
 */
export class MetricsLog {
  constructor(readonly path: string) {}

  append(rec: MetricsRecord): void {
    try {
      appendFileSync(this.path, `${JSON.stringify({ time: new Date().toISOString(), ...rec })}\n`);
    } catch (err) {
      throw outputError(this.path, err); // "cannot write …/metrics.jsonl: no space left on the device (ENOSPC)"
    }
  }

  /** Keeps only records up to `step` (inclusive), except events, which are history. */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          const r = JSON.parse(line) as MetricsRecord;
          return r.kind === 'event' || r.step <= step;
        } catch {
          return false; // a line cut short by a kill
        }
      });
    writeFileAtomic(this.path, kept.length ? `${kept.join('\n')}\n` : '');
  }

  /** Every record in the log (for summaries and tests). */
  static read(path: string): MetricsRecord[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as MetricsRecord];
        } catch {
          return [];
        }
      });
  }
}
