/**
 * The data model every reader produces: a set of example ids, each available in one or more
 * languages; in each language an id has a query, a positive passage and hard negatives.
 * The same id in two languages is a translation.
 *
 * The sampler works on languages and ids only (compact typed arrays), and asks for texts lazily,
 * so memory does not depend on how much text the corpus holds.
 */

/** One example in one language. */
export interface Example {
  query: string;
  positive: string;
  negatives: string[];
}

/**
 * Which languages each id has, stored as one small class number per id (ids with the same set of
 * languages share a class), because a list per id would cost tens of bytes per example.
 */
export interface LanguageAvailability {
  /** Class of each id. */
  readonly classOf: Uint8Array | Uint16Array;
  /** Language indices (into `languages`, ascending) of each class. */
  readonly classLanguages: readonly (readonly number[])[];
}

export interface ParallelDataset {
  /** A short description for messages (path and format). */
  readonly name: string;
  /** Language codes, sorted; a language's index is its position here. */
  readonly languages: readonly string[];
  /** Number of example ids. */
  readonly size: number;
  readonly availability: LanguageAvailability;
  /** The id as written in the data. */
  id(index: number): string;
  /**
   * The texts of id `index` in `lang`. `variant` (any 32-bit integer the sampler draws) picks one
   * of several training triples when the data holds more than one per id (mMARCO); readers with
   * one triple per id ignore it. Throws when the id lacks the language.
   */
  example(index: number, lang: string, variant?: number): Example;
  /** Only the query of id `index` in `lang` (cheaper than `example` where passages live on disk). */
  query(index: number, lang: string, variant?: number): string;
  /** Releases open files. */
  close(): void;
}

/** Entry `index` of an id list, or an error naming the valid range (the shared `id()` of list-backed readers). */
export function idAt(ids: ArrayLike<string | number>, index: number): string {
  if (!(Number.isInteger(index) && index >= 0 && index < ids.length)) throw new Error(`id index ${index} out of range [0, ${ids.length})`);
  return String(ids[index]);
}

/** The language codes of id `index`. */
export function languagesOf(ds: ParallelDataset, index: number): string[] {
  const cls = ds.availability.classOf[index]!;
  return ds.availability.classLanguages[cls]!.map((l) => ds.languages[l]!);
}

/** Number of ids that have each language, in the order of `ds.languages`. */
export function languageCounts(ds: ParallelDataset): number[] {
  const { classOf, classLanguages } = ds.availability;
  const perClass = new Float64Array(classLanguages.length);
  for (let i = 0; i < classOf.length; i++) perClass[classOf[i]!]!++;
  const counts = new Array<number>(ds.languages.length).fill(0);
  classLanguages.forEach((langs, c) => {
    for (const l of langs) counts[l]! += perClass[c]!;
  });
  return counts;
}

/**
 * Collects (id, language) pairs in any order and turns them into a {@link LanguageAvailability}.
 * Pairs are kept in growable typed arrays, not objects, so millions of rows stay cheap.
 */
export class AvailabilityBuilder {
  private ids = new Uint32Array(1024);
  private langs = new Uint16Array(1024);
  private n = 0;

  add(idIndex: number, langIndex: number): void {
    if (this.n === this.ids.length) {
      const ids = new Uint32Array(this.ids.length * 2);
      ids.set(this.ids);
      this.ids = ids;
      const langs = new Uint16Array(this.langs.length * 2);
      langs.set(this.langs);
      this.langs = langs;
    }
    this.ids[this.n] = idIndex;
    this.langs[this.n] = langIndex;
    this.n++;
  }

  /**
   * `langRemap[l]` maps the language indices given to `add` (order of first appearance) onto the
   * final sorted order. Throws when an id has no language or more than 65535 language sets occur.
   */
  build(numIds: number, langRemap: readonly number[]): LanguageAvailability {
    const numLangs = langRemap.length;
    // Counting sort of the pairs by id, so each id's languages are contiguous.
    const start = new Uint32Array(numIds + 1);
    for (let i = 0; i < this.n; i++) start[this.ids[i]! + 1]!++;
    for (let i = 0; i < numIds; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, numIds);
    const sorted = new Uint16Array(this.n);
    for (let i = 0; i < this.n; i++) sorted[fill[this.ids[i]!]!++] = langRemap[this.langs[i]!]!;
    const classes = new Map<string, number>();
    const classLanguages: number[][] = [];
    const classOf = new Uint16Array(numIds);
    const seen = new Uint8Array(numLangs);
    for (let id = 0; id < numIds; id++) {
      const set: number[] = [];
      for (let k = start[id]!; k < start[id + 1]!; k++) {
        const l = sorted[k]!;
        if (!seen[l]) {
          seen[l] = 1;
          set.push(l);
        }
      }
      for (const l of set) seen[l] = 0;
      if (set.length === 0) throw new Error(`internal: id #${id} has no language`);
      set.sort((a, b) => a - b);
      const key = set.join(',');
      let c = classes.get(key);
      if (c === undefined) {
        c = classLanguages.length;
        if (c > 0xffff) throw new Error('more than 65535 distinct language sets');
        classes.set(key, c);
        classLanguages.push(set);
      }
      classOf[id] = c;
    }
    return { classOf: classLanguages.length <= 256 ? Uint8Array.from(classOf) : classOf, classLanguages };
  }
}

/** Sorted language list and the remap from first-appearance order to sorted order. */
export function sortLanguages(firstSeen: readonly string[]): { languages: string[]; remap: number[] } {
  const languages = [...firstSeen].sort();
  const pos = new Map(languages.map((l, i) => [l, i]));
  return { languages, remap: firstSeen.map((l) => pos.get(l)!) };
}
