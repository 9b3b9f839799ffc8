import { closeSync, openSync } from 'node:fs';
import { AvailabilityBuilder, sortLanguages, type Example, type LanguageAvailability, type ParallelDataset, idAt } from './parallelDataset.js';
import { parseLanguage } from './languages.js';
import { readAt, scanLines } from './lineScanner.js';

/**
 * JSONL parallel data: one row per (id, language),
 * `{"id": "q1", "lang": "de", "query": "...", "positive": "...", "negatives": ["...", ...]}`.
 * Rows of one id may come in any order and from several files. Every row is validated while the
 * files are indexed; the index keeps only (file, byte offset, length) per row, and texts are read
 * back lazily when a batch needs them.
 */

interface Row {
  id: string;
  lang: string;
  example: Example;
}

/** Validates one parsed row; `where` is "file:line". */
export function parseJsonlRow(value: unknown, where: string): Row {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: expected a JSON object per line`);
  const o = value as Record<string, unknown>;
  const id = o['id'];
  if ((typeof id !== 'string' || id.length === 0) && !(typeof id === 'number' && Number.isFinite(id))) {
    throw new Error(`${where}: field "id": expected a non-empty string or a number`);
  }
  if (o['lang'] === undefined) throw new Error(`${where}: field "lang" is missing (every row must say its language)`);
  const lang = parseLanguage(o['lang'], `${where}: field "lang"`);
  const query = o['query'];
  if (typeof query !== 'string' || query.length === 0) throw new Error(`${where}: field "query": expected a non-empty string`);
  const positive = o['positive'];
  if (typeof positive !== 'string' || positive.length === 0) throw new Error(`${where}: field "positive": expected a non-empty string`);
  const negs = o['negatives'] ?? [];
  if (!Array.isArray(negs) || !negs.every((n) => typeof n === 'string')) {
    throw new Error(`${where}: field "negatives": expected an array of strings`);
  }
  return { id: String(id), lang, example: { query, positive, negatives: negs as string[] } };
}

export function openJsonl(paths: readonly string[]): JsonlDataset {
  if (paths.length === 0) throw new Error('no JSONL files given');
  const idIndex = new Map<string, number>();
  const ids: string[] = [];
  const langSeen: string[] = [];
  const langIndex = new Map<string, number>();
  const rowOf = new Map<number, number>(); // idIndex * 65536 + first-seen language → row
  let file = new Uint16Array(1024);
  let offset = new Float64Array(1024);
  let length = new Uint32Array(1024);
  let rows = 0;
  const builder = new AvailabilityBuilder();
  paths.forEach((path, fi) => {
    scanLines(path, (buf, start, end, byteOffset, lineNo) => {
      if (end === start || (end - start < 8 && buf.toString('utf8', start, end).trim() === '')) return; // blank line
      const where = `${path}:${lineNo}`;
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8', start, end));
      } catch (err) {
        throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
      }
      const row = parseJsonlRow(value, where);
      let ii = idIndex.get(row.id);
      if (ii === undefined) {
        ii = ids.length;
        ids.push(row.id);
        idIndex.set(row.id, ii);
      }
      let li = langIndex.get(row.lang);
      if (li === undefined) {
        li = langSeen.length;
        if (li >= 65536) throw new Error(`${where}: more than 65536 languages`);
        langSeen.push(row.lang);
        langIndex.set(row.lang, li);
      }
      const key = ii * 65536 + li;
      const prev = rowOf.get(key);
      if (prev !== undefined) {
        throw new Error(`${where}: id "${row.id.length > 200 ? `${row.id.slice(0, 200)}…` : row.id}" in language ${row.lang} appears twice (first at ${paths[file[prev]!]} byte ${offset[prev]})`);
      }
      if (rows === file.length) {
        const f = new Uint16Array(rows * 2); f.set(file); file = f;
        const o = new Float64Array(rows * 2); o.set(offset); offset = o;
        const l = new Uint32Array(rows * 2); l.set(length); length = l;
      }
      file[rows] = fi;
      offset[rows] = byteOffset;
      length[rows] = end - start;
      rowOf.set(key, rows);
      rows++;
      builder.add(ii, li);
    });
  });
  if (ids.length === 0) throw new Error(`${paths.join(', ')}: no rows`);
  const { languages, remap } = sortLanguages(langSeen);
  return new JsonlDataset(`jsonl:${paths.join(',')}`, paths, languages, ids, builder.build(ids.length, remap), langIndex, rowOf, file, offset, length);
}

export class JsonlDataset implements ParallelDataset {
  private fds: (number | undefined)[];

  constructor(
    readonly name: string,
    private readonly paths: readonly string[],
    readonly languages: readonly string[],
    private readonly ids: readonly string[],
    readonly availability: LanguageAvailability,
    private readonly langIndex: Map<string, number>,
    private readonly rowOf: Map<number, number>,
    private readonly file: Uint16Array,
    private readonly offset: Float64Array,
    private readonly length: Uint32Array,
  ) {
    this.fds = paths.map(() => undefined);
  }

  get size(): number {
    return this.ids.length;
  }

  id(index: number): string {
    return idAt(this.ids, index);
  }

  example(index: number, lang: string): Example {
    const li = this.langIndex.get(lang);
    const row = li === undefined ? undefined : this.rowOf.get(index * 65536 + li);
    if (row === undefined) throw new Error(`${this.name}: id "${this.id(index)}" has no ${lang} row`);
    const fi = this.file[row]!;
    let fd = this.fds[fi];
    if (fd === undefined) fd = this.fds[fi] = openSync(this.paths[fi]!, 'r');
    const text = readAt(fd, this.offset[row]!, this.length[row]!).toString('utf8');
    return parseJsonlRow(JSON.parse(text), `${this.paths[fi]} byte ${this.offset[row]}`).example;
  }

  query(index: number, lang: string): string {
    return this.example(index, lang).query;
  }

  close(): void {
    for (const fd of this.fds) if (fd !== undefined) closeSync(fd);
    this.fds = this.paths.map(() => undefined);
  }
}
