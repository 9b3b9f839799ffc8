import { accessSync, closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { Progress } from '../util/progress.js';
import { AvailabilityBuilder, type Example, type LanguageAvailability, type ParallelDataset, idAt } from './parallelDataset.js';
import { languageFromEnglishName, parseLanguage } from './languages.js';
import { readAt, scanLines } from './lineScanner.js';
import { buildTsvIndex, TsvIndex, type IdSet } from './tsvIndex.js';

/**
 * mMARCO layout: per language a queries file (`qid<TAB>text`) and a collection (`pid<TAB>text`),
 * and one triples file of ids (`qid<TAB>positive pid<TAB>negative pid`) shared by all languages.
 *
 * Accepted folder layouts (ROOT is what `--data` names):
 *   ROOT/<lang>/queries.train.tsv, ROOT/<lang>/collection.tsv           (<lang> a code: de, zh, ...)
 *   ROOT/<lang>_queries.train.tsv, ROOT/<lang>_collection.tsv           (<lang> a code or an English
 *                                                                        name, as mMARCO names them)
 *   ROOT/triples.train.ids.small.tsv (or triples.train.ids.tsv, or the only triples*.tsv)
 *
 * An example id is a query id. Its triples are its training pairs: each visit picks one of them
 * (by the sampler's `variant`), whose positive is the positive and whose negative, plus those of the
 * following triples of the same query up to `negatives`, are the hard negatives. A query is
 * available in a language when the language has its text and the texts of all its triples' passages.
 *
 * The first open builds an on-disk index (offsets of every line, the triples as binary grouped by
 * query) in `indexDir`; later opens reuse it while the source files keep their size and mtime.
 * After that, memory is ~9 bytes per query (ids, triple ranges, language class) and texts are read
 * with positioned reads as batches need them.
 */
export interface MmarcoOptions {
  /** Where the index goes (default ROOT/.polyret-index, or a folder under the OS temp dir when ROOT is read-only). */
  indexDir?: string;
  /** The triples file, when ROOT holds several or names it differently. */
  triples?: string;
  /** Hard negatives per example (default 1). */
  negatives?: number;
  /** Show index-building progress (default true). */
  progress?: boolean;
}

interface LangFiles {
  lang: string;
  queries: string;
  collection: string;
}

interface Meta {
  version: 1;
  sources: Record<string, { size: number; mtimeMs: number }>;
  languages: string[];
  queries: number;
  triples: number;
  classLanguages: number[][];
  classBytes: 1 | 2;
}

const VERSION = 1;

/** Finds the languages' files and the triples file under ROOT; throws with what was expected. */
export function discoverMmarco(root: string, triplesOpt?: string): { langs: LangFiles[]; triples: string } {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`${root}: not a folder (expected an mMARCO-layout folder)`);
  const langs = new Map<string, LangFiles>();
  const add = (lang: string, queries: string, collection: string): void => {
    if (langs.has(lang)) throw new Error(`${root}: language ${lang} is given twice (${langs.get(lang)!.queries} and ${queries})`);
    langs.set(lang, { lang, queries, collection });
  };
  const entries = readdirSync(root, { withFileTypes: true });
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith('.')) {
      const q = join(root, e.name, 'queries.train.tsv');
      const c = join(root, e.name, 'collection.tsv');
      if (existsSync(q) || existsSync(c)) {
        if (!existsSync(q) || !existsSync(c)) throw new Error(`${join(root, e.name)}: expected both queries.train.tsv and collection.tsv`);
        add(parseLanguage(e.name, `${join(root, e.name)} (folder name)`), q, c);
      }
    }
    const m = /^(.+)_queries\.train\.tsv$/.exec(e.name);
    if (e.isFile() && m) {
      const tag = m[1]!;
      let lang: string | undefined;
      try {
        lang = parseLanguage(tag);
      } catch {
        lang = languageFromEnglishName(tag);
      }
      if (!lang) throw new Error(`${join(root, e.name)}: "${tag}" is neither a language code nor a language name`);
      const c = join(root, `${tag}_collection.tsv`);
      if (!existsSync(c)) throw new Error(`${join(root, e.name)}: no matching collection ${c}`);
      add(lang, join(root, e.name), c);
    }
  }
  if (langs.size === 0) {
    throw new Error(`${root}: no languages found (expected <lang>/queries.train.tsv + <lang>/collection.tsv, or <lang>_queries.train.tsv + <lang>_collection.tsv)`);
  }
  let triples = triplesOpt;
  if (!triples) {
    for (const name of ['triples.train.ids.small.tsv', 'triples.train.ids.tsv']) {
      if (existsSync(join(root, name))) {
        triples = join(root, name);
        break;
      }
    }
  }
  if (!triples) {
    const cands = entries.filter((e) => e.isFile() && /^triples.*\.tsv$/.test(e.name)).map((e) => join(root, e.name));
    if (cands.length !== 1) {
      throw new Error(`${root}: expected one triples file of ids (triples.train.ids.small.tsv), found ${cands.length === 0 ? 'none' : cands.join(', ')}`);
    }
    triples = cands[0]!;
  }
  if (!existsSync(triples)) throw new Error(`${triples}: triples file not found`);
  return { langs: [...langs.values()].sort((a, b) => (a.lang < b.lang ? -1 : 1)), triples };
}

function defaultIndexDir(root: string): string {
  try {
    accessSync(root, constants.W_OK);
    return join(root, '.polyret-index');
  } catch {
    const h = createHash('sha1').update(resolve(root)).digest('hex').slice(0, 16);
    return join(tmpdir(), 'polyret-index', `${basename(resolve(root))}-${h}`);
  }
}

function sourceStamp(paths: string[]): Meta['sources'] {
  const out: Meta['sources'] = {};
  for (const p of paths) {
    const st = statSync(p);
    out[resolve(p)] = { size: st.size, mtimeMs: st.mtimeMs };
  }
  return out;
}

/** LSD radix sort (two 16-bit passes) of indices by a uint32 key: O(n), no comparator calls. */
function radixOrder(keys: Uint32Array, n: number): Uint32Array {
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (const shift of [0, 16]) {
    const count = new Uint32Array(65537);
    for (let i = 0; i < n; i++) count[((keys[a[i]!]! >>> shift) & 0xffff) + 1]!++;
    for (let k = 0; k < 65536; k++) count[k + 1]! += count[k]!;
    for (let i = 0; i < n; i++) {
      const v = a[i]!;
      b[count[(keys[v]! >>> shift) & 0xffff]!++] = v;
    }
    [a, b] = [b, a];
  }
  return a;
}

function buildIndex(dir: string, langs: LangFiles[], triplesPath: string, sources: Meta['sources'], progress: boolean): void {
  mkdirSync(dir, { recursive: true });
  const totalBytes = Object.values(sources).reduce((s, v) => s + v.size, 0);
  const bar = new Progress({ label: 'indexing mMARCO', total: Math.round(totalBytes / 2 ** 20), unit: 'MiB', enabled: progress ? undefined : false });
  const tick = (bytes: number): void => bar.tick(bytes / 2 ** 20);
  const qsets: IdSet[] = [];
  const psets: IdSet[] = [];
  for (const l of langs) {
    qsets.push(buildTsvIndex(l.queries, join(dir, `${l.lang}.queries.idx`), tick));
    psets.push(buildTsvIndex(l.collection, join(dir, `${l.lang}.collection.idx`), tick));
  }
  // Triples as typed arrays (12 bytes each): never as strings.
  let cap = 1 << 16;
  let q = new Uint32Array(cap);
  let pn = new Uint32Array(cap * 2);
  let n = 0;
  let last = 0;
  scanLines(triplesPath, (buf, start, end, byteOffset, lineNo) => {
    if (start === end) return;
    const vals = [0, 0, 0];
    let f = 0;
    let digits = 0;
    for (let i = start; i <= end; i++) {
      const c = i < end ? buf[i]! : 9;
      if (c === 9 || c === 32) {
        if (digits === 0 || f > 2) throw new Error(`${triplesPath}:${lineNo}: expected "<qid><TAB><positive pid><TAB><negative pid>"`);
        f++;
        digits = 0;
        continue;
      }
      if (c < 48 || c > 57) throw new Error(`${triplesPath}:${lineNo}: expected integer ids, found ${JSON.stringify(buf.toString('utf8', start, Math.min(end, start + 60)))}`);
      vals[f] = vals[f]! * 10 + (c - 48);
      digits++;
    }
    if (f !== 3) throw new Error(`${triplesPath}:${lineNo}: expected 3 ids (qid, positive pid, negative pid), found ${f}`);
    if (vals.some((v) => v > 0xffffffff)) throw new Error(`${triplesPath}:${lineNo}: ids must be below 2^32`);
    if (n === cap) {
      cap *= 2;
      const a = new Uint32Array(cap); a.set(q); q = a;
      const b = new Uint32Array(cap * 2); b.set(pn); pn = b;
    }
    q[n] = vals[0]!;
    pn[2 * n] = vals[1]!;
    pn[2 * n + 1] = vals[2]!;
    n++;
    if (byteOffset - last > 16 << 20) {
      tick(byteOffset - last);
      last = byteOffset;
    }
  });
  if (n === 0) throw new Error(`${triplesPath}: no triples`);
  const order = radixOrder(q, n);
  // Grouped by query: pairs (pos, neg) in query order; distinct qids and their first triple.
  const grouped = new Uint32Array(2 * n);
  const qids: number[] = [];
  const starts: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = order[k]!;
    grouped[2 * k] = pn[2 * t]!;
    grouped[2 * k + 1] = pn[2 * t + 1]!;
    if (k === 0 || q[t] !== q[order[k - 1]!]) {
      qids.push(q[t]!);
      starts.push(k);
    }
  }
  starts.push(n);
  // Availability: the query text and every passage of its triples exist in the language.
  const builder = new AvailabilityBuilder();
  for (let i = 0; i < qids.length; i++) {
    let any = false;
    for (let l = 0; l < langs.length; l++) {
      if (!qsets[l]!.has(qids[i]!)) continue;
      let ok = true;
      for (let k = starts[i]!; k < starts[i + 1]! && ok; k++) ok = psets[l]!.has(grouped[2 * k]!) && psets[l]!.has(grouped[2 * k + 1]!);
      if (ok) {
        builder.add(i, l);
        any = true;
      }
    }
    if (!any) {
      throw new Error(`${triplesPath}: query ${qids[i]} has no language with its text and all its passages (check the queries and collection files)`);
    }
  }
  const avail = builder.build(qids.length, langs.map((_, i) => i));
  writeFileAtomic(join(dir, 'triples.bin'), new Uint8Array(grouped.buffer));
  writeFileAtomic(join(dir, 'qids.bin'), new Uint8Array(Uint32Array.from(qids).buffer));
  writeFileAtomic(join(dir, 'starts.bin'), new Uint8Array(Uint32Array.from(starts).buffer));
  writeFileAtomic(join(dir, 'classes.bin'), new Uint8Array(avail.classOf.buffer, avail.classOf.byteOffset, avail.classOf.byteLength));
  const meta: Meta = {
    version: VERSION,
    sources,
    languages: langs.map((l) => l.lang),
    queries: qids.length,
    triples: n,
    classLanguages: avail.classLanguages.map((c) => [...c]),
    classBytes: avail.classOf instanceof Uint8Array ? 1 : 2,
  };
  // meta.json last: its presence says the index is complete.
  writeFileAtomic(join(dir, 'meta.json'), JSON.stringify(meta));
  bar.finish(`${qids.length} queries, ${n} triples`);
}

/** Reads a whole binary file straight into a fresh ArrayBuffer (one copy, not two). */
function readBinary(path: string): ArrayBuffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const ab = new ArrayBuffer(size);
    const view = new Uint8Array(ab);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, view, got, size - got, got);
      if (n === 0) throw new Error(`${path}: unexpected end of file`);
      got += n;
    }
    return ab;
  } finally {
    closeSync(fd);
  }
}

/** Opens (indexing on first use) an mMARCO-layout folder. */
export function openMmarco(root: string, opts: MmarcoOptions = {}): MmarcoDataset {
  const negatives = opts.negatives ?? 1;
  if (!Number.isInteger(negatives) || negatives < 0) throw new Error(`negatives must be a non-negative integer, got ${negatives}`);
  const { langs, triples } = discoverMmarco(root, opts.triples);
  const dir = opts.indexDir ?? defaultIndexDir(root);
  const sources = sourceStamp([...langs.flatMap((l) => [l.queries, l.collection]), triples]);
  let meta: Meta | undefined;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  } catch {
    meta = undefined;
  }
  if (!meta || meta.version !== VERSION || JSON.stringify(meta.sources) !== JSON.stringify(sources)) {
    buildIndex(dir, langs, triples, sources, opts.progress ?? true);
    meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  }
  const qids = new Uint32Array(readBinary(join(dir, 'qids.bin')));
  const starts = new Uint32Array(readBinary(join(dir, 'starts.bin')));
  const cbuf = readBinary(join(dir, 'classes.bin'));
  const classOf = meta.classBytes === 1 ? new Uint8Array(cbuf) : new Uint16Array(cbuf);
  if (qids.length !== meta.queries || starts.length !== meta.queries + 1 || classOf.length !== meta.queries) {
    throw new Error(`${dir}: index files disagree with meta.json (delete the folder to rebuild it)`);
  }
  const indexes = new Map<string, { queries: TsvIndex; collection: TsvIndex }>();
  for (const l of langs) {
    indexes.set(l.lang, {
      queries: new TsvIndex(l.queries, join(dir, `${l.lang}.queries.idx`)),
      collection: new TsvIndex(l.collection, join(dir, `${l.lang}.collection.idx`)),
    });
  }
  return new MmarcoDataset(`mmarco:${root}`, meta.languages, qids, starts, { classOf, classLanguages: meta.classLanguages }, indexes, join(dir, 'triples.bin'), negatives);
}

export class MmarcoDataset implements ParallelDataset {
  private triplesFd: number;

  constructor(
    readonly name: string,
    readonly languages: readonly string[],
    private readonly qids: Uint32Array,
    private readonly starts: Uint32Array,
    readonly availability: LanguageAvailability,
    private readonly indexes: Map<string, { queries: TsvIndex; collection: TsvIndex }>,
    triplesBin: string,
    private readonly negativesPerExample: number,
  ) {
    this.triplesFd = openSync(triplesBin, 'r');
  }

  get size(): number {
    return this.qids.length;
  }

  /** Number of triples of example `index`. */
  triplesOf(index: number): number {
    return this.starts[index + 1]! - this.starts[index]!;
  }

  id(index: number): string {
    return idAt(this.qids, index);
  }

  private lang(lang: string): { queries: TsvIndex; collection: TsvIndex } {
    const x = this.indexes.get(lang);
    if (!x) throw new Error(`${this.name}: no language ${lang} (have ${this.languages.join(', ')})`);
    return x;
  }

  query(index: number, lang: string): string {
    const text = this.lang(lang).queries.get(this.qids[index]!);
    if (text === undefined) throw new Error(`${this.name}: query ${this.id(index)} has no ${lang} text`);
    return text;
  }

  example(index: number, lang: string, variant = 0): Example {
    const { collection } = this.lang(lang);
    const start = this.starts[index]!;
    const count = this.starts[index + 1]! - start;
    const first = (variant >>> 0) % count;
    const take = Math.min(count, Math.max(1, this.negativesPerExample));
    // Triples first..first+take-1 (wrapping within this query's range), 8 bytes each.
    const pairs = new Uint32Array(take * 2);
    for (let k = 0; k < take; k++) {
      const t = start + ((first + k) % count);
      const b = readAt(this.triplesFd, t * 8, 8);
      pairs[2 * k] = b.readUInt32LE(0);
      pairs[2 * k + 1] = b.readUInt32LE(4);
    }
    const posId = pairs[0]!;
    const text = (pid: number): string => {
      const t = collection.get(pid);
      if (t === undefined) throw new Error(`${this.name}: passage ${pid} has no ${lang} text`);
      return t;
    };
    const negatives: string[] = [];
    const seen = new Set<number>([posId]);
    for (let k = 0; k < take && negatives.length < this.negativesPerExample; k++) {
      const neg = pairs[2 * k + 1]!;
      if (seen.has(neg)) continue;
      seen.add(neg);
      negatives.push(text(neg));
    }
    return { query: this.query(index, lang), positive: text(posId), negatives };
  }

  close(): void {
    for (const x of this.indexes.values()) {
      x.queries.close();
      x.collection.close();
    }
    closeSync(this.triplesFd);
  }
}
