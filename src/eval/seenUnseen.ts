/**
 * Seen / unseen language averages: every results file made from a model folder that knows its training languages
 * (`final/polyret_training.json`, src/models/trainingLanguages.ts) splits its averages into the languages the
 * model was fine-tuned on and the rest. Each task says what one item is (a Tatoeba language, a LAReQA setting, a
 * MIRACL language) and when an item counts as seen; this file only averages.
 */

/** The mean of each metric over the items of one side of the split. */
export interface SplitAverage {
  /** The items averaged (language codes, or settings such as `de→zh`). */
  items: string[];
  metrics: Record<string, number>;
}

export interface SeenUnseenGroup {
  /** null when no item falls on that side. */
  seen: SplitAverage | null;
  unseen: SplitAverage | null;
}

export interface SeenUnseen {
  /** The model's training languages as recorded in its folder. */
  trainingLanguages: string[];
  /** How an item was classified, in words (task-specific). */
  rule: string;
  /** Per group (Tatoeba: `languages`; LAReQA: `mono`, `cross`, `multi`; MIRACL / BEIR: `languages`). */
  groups: Record<string, SeenUnseenGroup>;
}

export interface SplitItem {
  name: string;
  seen: boolean;
  metrics: Record<string, number>;
}

/** Macro averages of the seen and of the unseen items (metrics: those of the first item). */
export function splitAverages(items: readonly SplitItem[]): SeenUnseenGroup {
  const side = (want: boolean): SplitAverage | null => {
    const xs = items.filter((i) => i.seen === want);
    if (xs.length === 0) return null;
    const names = Object.keys(xs[0]!.metrics);
    return { items: xs.map((x) => x.name), metrics: Object.fromEntries(names.map((m) => [m, xs.reduce((s, x) => s + x.metrics[m]!, 0) / xs.length])) };
  };
  return { seen: side(true), unseen: side(false) };
}

/** Whether a language code (e.g. `zh`, `zh-Hans`) is among the training languages, comparing primary subtags. */
export function languageSeen(lang: string, trainingLanguages: readonly string[]): boolean {
  const p = lang.split('-')[0]!.toLowerCase();
  return trainingLanguages.some((t) => t.split('-')[0]!.toLowerCase() === p);
}
