import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ParallelDataset } from './parallelDataset.js';
import { openJsonl } from './jsonl.js';
import { openMmarco, type MmarcoOptions } from './mmarco.js';
import { openSquad, type SquadOptions } from './squad.js';

export type DataFormat = 'mmarco' | 'jsonl' | 'squad';
export const DATA_FORMATS: readonly DataFormat[] = ['mmarco', 'jsonl', 'squad'];

export interface OpenOptions {
  /** Format of every path; guessed from the paths when absent. */
  format?: DataFormat;
  /** Hard negatives per example (mMARCO, SQuAD; JSONL rows carry their own). */
  negatives?: number;
  /** SQuAD: language of every file instead of reading it from the file name. */
  lang?: string;
  mmarco?: Omit<MmarcoOptions, 'negatives'>;
  squad?: Omit<SquadOptions, 'negatives' | 'lang'>;
}

/**
 * The format of one path: a folder with a triples*.tsv is mMARCO; a folder of .jsonl or .json
 * files is JSONL or SQuAD; a file is told by its extension.
 */
export function guessFormat(path: string): DataFormat {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path);
    if (names.some((n) => /^triples.*\.tsv$/.test(n))) return 'mmarco';
    if (names.some((n) => n.endsWith('.jsonl'))) return 'jsonl';
    if (names.some((n) => n.endsWith('.json'))) return 'squad';
    throw new Error(`${path}: cannot tell the data format (no triples*.tsv, *.jsonl or *.json inside); give --format`);
  }
  if (path.endsWith('.jsonl')) return 'jsonl';
  if (path.endsWith('.json')) return 'squad';
  throw new Error(`${path}: cannot tell the data format from the name (expected .jsonl, .json or an mMARCO folder); give --format`);
}

/** Files a folder contributes for a file-based format (sorted, so datasets do not depend on readdir order). */
function expand(path: string, ext: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path).filter((n) => n.endsWith(ext)).sort().map((n) => join(path, n));
  if (files.length === 0) throw new Error(`${path}: no *${ext} files`);
  return files;
}

/** Opens one or more paths (files or folders) of one format as a single parallel dataset. */
export function openDataset(paths: readonly string[], opts: OpenOptions = {}): ParallelDataset {
  if (paths.length === 0) throw new Error('no data given (--data PATH)');
  const formats = paths.map((p) => opts.format ?? guessFormat(p));
  const format = formats[0]!;
  if (formats.some((f) => f !== format)) {
    throw new Error(`all data paths must have one format, got ${paths.map((p, i) => `${p} (${formats[i]})`).join(', ')}`);
  }
  switch (format) {
    case 'mmarco':
      if (paths.length !== 1) throw new Error('mMARCO data is one folder (its triples file is shared by all languages); give one --data');
      return openMmarco(paths[0]!, { ...opts.mmarco, negatives: opts.negatives });
    case 'jsonl':
      return openJsonl(paths.flatMap((p) => expand(p, '.jsonl')));
    case 'squad':
      return openSquad(paths.flatMap((p) => expand(p, '.json')), { ...opts.squad, negatives: opts.negatives, lang: opts.lang });
    default:
      throw new Error(`unknown format "${String(format)}" (expected ${DATA_FORMATS.join(', ')})`);
  }
}
