import { createHash } from 'node:crypto';
import { AvailabilityBuilder, type Example, type LanguageAvailability, type ParallelDataset } from '../data/parallelDataset.js';

/**
 * A ParallelDataset restricted to some ids and some languages (ids left with no language are
 * dropped). Used to hold out validation ids and to train on the languages a config names.
 */
export class DatasetView implements ParallelDataset {
  readonly name: string;
  readonly languages: readonly string[];
  readonly size: number;
  readonly availability: LanguageAvailability;
  private readonly indices: Uint32Array;

  constructor(readonly base: ParallelDataset, keepId: (index: number) => boolean, languages: readonly string[], label: string) {
    const langs = [...languages].sort();
    const pos = new Map(langs.map((l, i) => [l, i]));
    const baseToNew = base.languages.map((l) => pos.get(l) ?? -1);
    const kept: number[] = [];
    const builder = new AvailabilityBuilder();
    const { classOf, classLanguages } = base.availability;
    for (let i = 0; i < base.size; i++) {
      if (!keepId(i)) continue;
      const mine = classLanguages[classOf[i]!]!.map((l) => baseToNew[l]!).filter((l) => l >= 0);
      if (mine.length === 0) continue;
      for (const l of mine) builder.add(kept.length, l);
      kept.push(i);
    }
    this.indices = Uint32Array.from(kept);
    this.size = kept.length;
    this.languages = langs;
    this.name = `${base.name} (${label})`;
    this.availability = builder.build(this.size, langs.map((_, i) => i));
  }

  id(index: number): string {
    return this.base.id(this.indices[index]!);
  }

  example(index: number, lang: string, variant?: number): Example {
    return this.base.example(this.indices[index]!, lang, variant);
  }

  query(index: number, lang: string, variant?: number): string {
    return this.base.query(this.indices[index]!, lang, variant);
  }

  close(): void {
    // The base dataset is owned by whoever opened it.
  }
}

/**
 * Whether an id falls into the held-out fraction: a hash of the id, not its position, so the split
 * does not move when files are reordered or languages added.
 */
export function isHeldOut(id: string, fraction: number): boolean {
  const h = createHash('sha256').update(id).digest();
  return h.readUInt32BE(0) / 0x100000000 < fraction;
}
