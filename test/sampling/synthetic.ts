import { AvailabilityBuilder, sortLanguages, type Example, type LanguageAvailability, type ParallelDataset } from '../../src/data/parallelDataset.js';

/**
 * An in-memory dataset for sampler tests: `langsOf(i)` says which languages id i has. Texts name
 * their id and language ("q:7:de"), so tests can check that every text is in the claimed language;
 * `positiveKey(i)` lets tests make several ids share one positive text.
 */
export function syntheticDataset(
  n: number,
  langsOf: (i: number) => string[],
  positiveKey: (i: number) => string = (i) => String(i),
): ParallelDataset {
  const seen: string[] = [];
  const index = new Map<string, number>();
  const b = new AvailabilityBuilder();
  const has: Set<string>[] = [];
  for (let i = 0; i < n; i++) {
    const ls = langsOf(i);
    has.push(new Set(ls));
    for (const l of ls) {
      let li = index.get(l);
      if (li === undefined) {
        li = seen.length;
        seen.push(l);
        index.set(l, li);
      }
      b.add(i, li);
    }
  }
  const { languages, remap } = sortLanguages(seen);
  const availability: LanguageAvailability = b.build(n, remap);
  const example = (i: number, lang: string): Example => {
    if (!has[i]!.has(lang)) throw new Error(`id ${i} has no ${lang}`);
    return { query: `q:${i}:${lang}`, positive: `p:${positiveKey(i)}:${lang}`, negatives: [`n:${i}:${lang}`] };
  };
  return {
    name: 'synthetic',
    languages,
    size: n,
    availability,
    id: (i) => `id${i}`,
    example,
    query: (i, lang) => example(i, lang).query,
    close: () => {},
  };
}
