import { quoteExcerpt } from '../../util/quote.js';

/**
 * The non-blank lines of a whitespace-separated TREC file, each split into exactly `layout.length` fields;
 * a line with another count is an error naming `source:line` and the expected layout.
 */
export function* trecFields(text: string, source: string, layout: readonly string[]): Generator<{ f: string[]; where: string }> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const where = `${source}:${i + 1}`;
    if (f.length !== layout.length) throw new Error(`${where}: expected ${layout.length} fields '${layout.join(' ')}', got ${f.length}: ${quoteExcerpt(line)}`);
    yield { f, where };
  }
}
