/**
 * How often each language is chosen for a monolingual batch (and, within an example, for the two
 * sides of a cross-lingual pair):
 *  - `uniform`: every language with data equally (the paper's choice);
 *  - `size`: proportional to the number of examples in the language ("sampled based on dataset size");
 *  - `temperature`: p ∝ n^(1/T) — T = 1 is `size`, T → ∞ approaches `uniform`.
 */
export type Weighting = 'uniform' | 'size' | 'temperature';

export const WEIGHTINGS: readonly Weighting[] = ['uniform', 'size', 'temperature'];

/** Normalised probabilities over languages from per-language example counts. */
export function languageWeights(counts: readonly number[], weighting: Weighting, temperature = 1): number[] {
  if (weighting === 'temperature' && !(temperature > 0 && Number.isFinite(temperature))) {
    throw new Error(`temperature must be a positive number, got ${temperature}`);
  }
  const raw = counts.map((n) => {
    if (n <= 0) return 0;
    switch (weighting) {
      case 'uniform':
        return 1;
      case 'size':
        return n;
      case 'temperature':
        return Math.pow(n, 1 / temperature);
      default:
        throw new Error(`unknown weighting "${String(weighting)}" (expected ${WEIGHTINGS.join(', ')})`);
    }
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error('no language has any examples');
  return raw.map((w) => w / total);
}
