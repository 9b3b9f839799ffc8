/**
 * Texts to encode, from JSONL (`{"id": ..., "text": ...}` per line) or TSV (`id<TAB>text` per line; a first line
 * `id<TAB>text` is taken as a header). Blank lines are skipped; anything else malformed is an error naming file:line.
 */
import { quoteExcerpt } from '../util/quote.js';
import { readInputText } from '../util/inputFile.js';

export interface TextItem {
  id: string;
  text: string;
}

export function readTexts(path: string): TextItem[] {
  const raw = readInputText(path, 'texts');
  const lines = raw.split(/\r?\n/);
  const jsonl = /\.jsonl?$/i.test(path) || (!/\.tsv$/i.test(path) && lines.find((l) => l.trim())?.trimStart().startsWith('{'));
  const out: TextItem[] = [];
  const seen = new Map<string, number>();
  lines.forEach((line, i) => {
    const at = `${path}:${i + 1}`;
    if (!line.trim()) return;
    let item: TextItem;
    if (jsonl) {
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (err) {
        throw new Error(`${at}: not valid JSON (${(err as Error).message})`);
      }
      const o = v as Record<string, unknown> | null;
      if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${at}: expected an object {"id": ..., "text": ...}`);
      if (typeof o.id !== 'string' && typeof o.id !== 'number') throw new Error(`${at}: field "id" missing or not a string/number`);
      if (typeof o.text !== 'string') throw new Error(`${at}: field "text" missing or not a string`);
      item = { id: String(o.id), text: o.text };
    } else {
      const tab = line.indexOf('\t');
      if (tab < 0) throw new Error(`${at}: expected 'id<TAB>text'`);
      if (out.length === 0 && i === lines.findIndex((l) => l.trim()) && line === 'id\ttext') return;
      item = { id: line.slice(0, tab), text: line.slice(tab + 1) };
      if (!item.id) throw new Error(`${at}: empty id`);
    }
    const prev = seen.get(item.id);
    if (prev !== undefined) throw new Error(`${at}: id ${quoteExcerpt(item.id)} already used on line ${prev}`);
    seen.set(item.id, i + 1);
    out.push(item);
  });
  return out;
}
