/**
 * A compact, committable copy of a study: summary.json, study.yaml and every results file named in the summary,
 * gzipped, with the per-query arrays the report does not use dropped (LAReQA's R@k and mAP@k per query; the
 * means stay). The report reads `.json.gz` in place of `.json`, so `polyret study --report-only --output COPY`
 * regenerates the same tables, tests and pictures from the copy. Model weights and checkpoints are not copied.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { readSummary, writeSummary } from './summary.js';

/** Per-query metrics the study report tests (LAReQA); every other per-query array of a LAReQA setting is dropped. */
const KEPT_PER_QUERY = new Set(['mAP', 'rankDistance']);

interface PerQueryHolder {
  lareqa?: { settings: { perQuery: { values: Record<string, number[]> } }[] };
}

export function exportStudy(dir: string, dest: string): string[] {
  const s = readSummary(dir);
  mkdirSync(dest, { recursive: true });
  const written: string[] = [];
  for (const r of s.runs) {
    for (const file of Object.values(r.results)) {
      const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as PerQueryHolder;
      for (const st of doc.lareqa?.settings ?? []) {
        for (const k of Object.keys(st.perQuery.values)) if (!KEPT_PER_QUERY.has(k)) delete st.perQuery.values[k];
      }
      const out = join(dest, `${file}.gz`);
      mkdirSync(dirname(out), { recursive: true });
      writeFileAtomic(out, gzipSync(Buffer.from(`${JSON.stringify(doc)}\n`), { level: 9 }));
      written.push(out);
    }
  }
  if (existsSync(join(dir, 'study.yaml'))) copyFileSync(join(dir, 'study.yaml'), join(dest, 'study.yaml'));
  writeSummary(dest, s);
  written.push(join(dest, 'summary.json'));
  return written;
}
