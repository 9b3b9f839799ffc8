import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/** One document of a retrieval corpus. */
export interface CorpusDocument {
  docid: string;
  title: string;
  text: string;
}

/** The lines of a text file, gunzipped when the name ends in `.gz`, with 1-based line numbers. */
export async function* readTextLines(path: string): AsyncGenerator<{ line: string; n: number }> {
  if (!existsSync(path)) throw new Error(`file not found: ${path}`);
  const input = path.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    yield { line, n };
  }
}

const ID_KEYS = ['_id', 'docid', 'id'] as const;
const TEXT_KEYS = ['text', 'contents'] as const;

/**
 * Streams a corpus in any of the JSONL layouts retrieval sets use (`.gz` decompressed): BEIR
 * `{"_id", "title", "text"}`, MIRACL / Mr.TyDi `{"docid", "title", "text"}`, Anserini / Pyserini `{"id", "contents"}`.
 * The id is the first of `_id`, `docid`, `id` present (string or number), the text the first of `text`, `contents`;
 * `title` is optional. A malformed line is an error naming the file and line; a document id seen twice too, since
 * a run file cannot hold it twice. A `.tsv` / `.tsv.gz` file is read as DPR's passage TSV (see readDprTsv).
 */
export async function* readCorpus(path: string): AsyncGenerator<CorpusDocument> {
  if (/\.tsv(\.gz)?$/.test(path)) {
    yield* readDprTsv(path);
    return;
  }
  const seen = new Set<string>();
  for await (const { line, n } of readTextLines(path)) {
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new Error(`${path}:${n}: not JSON: ${(err as Error).message}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error(`${path}:${n}: expected a JSON object per line`);
    const o = obj as Record<string, unknown>;
    const idKey = ID_KEYS.find((k) => o[k] !== undefined);
    const id = idKey ? o[idKey] : undefined;
    if (!(typeof id === 'string' && id.length > 0) && !(typeof id === 'number' && Number.isFinite(id))) {
      throw new Error(`${path}:${n}: expected a document id in field '_id', 'docid' or 'id' (a non-empty string or number)`);
    }
    const docid = String(id);
    if (/\s/.test(docid)) throw new Error(`${path}:${n}: document id '${docid}' contains whitespace, which a TREC run file cannot hold`);
    const textKey = TEXT_KEYS.find((k) => o[k] !== undefined);
    const text = textKey ? o[textKey] : undefined;
    if (typeof text !== 'string') throw new Error(`${path}:${n}: expected the document text as a string in field 'text' or 'contents'`);
    const title = o.title ?? '';
    if (typeof title !== 'string') throw new Error(`${path}:${n}: field 'title' must be a string`);
    if (seen.has(docid)) throw new Error(`${path}:${n}: document id '${docid}' appears twice`);
    seen.add(docid);
    yield { docid, title, text };
  }
}

/**
 * DPR's passage TSV (`psgs_w100.tsv`, XOR-Retrieve's English corpus): a header `id<TAB>text<TAB>title`, then one
 * passage per line; quoted fields (DPR writes the text in double quotes, `""` for a quote) are unquoted.
 */
async function* readDprTsv(path: string): AsyncGenerator<CorpusDocument> {
  const unquote = (f: string) => (f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replace(/""/g, '"') : f);
  const seen = new Set<string>();
  for await (const { line, n } of readTextLines(path)) {
    if (line.trim() === '') continue;
    const f = line.split('\t');
    if (n === 1) {
      if (f[0] !== 'id' || f[1] !== 'text' || f[2] !== 'title') throw new Error(`${path}:1: expected DPR's header 'id<TAB>text<TAB>title'`);
      continue;
    }
    if (f.length !== 3) throw new Error(`${path}:${n}: expected 3 tab-separated fields (id, text, title), got ${f.length}`);
    const docid = f[0]!.trim();
    if (!docid || /\s/.test(docid)) throw new Error(`${path}:${n}: document id must be a non-empty word`);
    if (seen.has(docid)) throw new Error(`${path}:${n}: document id '${docid}' appears twice`);
    seen.add(docid);
    yield { docid, text: unquote(f[1]!), title: unquote(f[2]!) };
  }
}

/** The text an encoder sees for a document: BEIR's and MIRACL's convention, title and text joined by a space. */
export function documentText(d: CorpusDocument): string {
  return d.title ? `${d.title} ${d.text}` : d.text;
}
