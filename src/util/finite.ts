/** Rows of a row-major [rows × dim] matrix that hold a NaN or an infinity: how many, and the first few. */
export function nonFiniteRows(values: Float32Array, dim: number, limit = 3): { count: number; first: number[] } {
  const first: number[] = [];
  let count = 0;
  if (dim <= 0) return { count, first };
  const rows = Math.floor(values.length / dim);
  for (let r = 0; r < rows; r++) {
    for (let j = r * dim, end = j + dim; j < end; j++) {
      // x - x is 0 for finite x and NaN for NaN and ±Infinity: one comparison per value.
      const x = values[j]!;
      if (x - x !== 0) {
        count++;
        if (first.length < limit) first.push(r);
        break;
      }
    }
  }
  return { count, first };
}

/**
 * Throws when a vector is not finite, naming the rows by id: "`what`: 2 of 100 vectors contain NaN or infinite
 * values, e.g. 'q/de/7', 'q/de/9'". Non-finite vectors would otherwise be ranked and averaged into plausible
 * numbers (a NaN score sorts somewhere, a NaN mean prints as a result).
 */
export function assertFiniteRows(values: Float32Array, dim: number, idOf: (row: number) => string, what: string, hint = ''): void {
  const { count, first } = nonFiniteRows(values, dim);
  if (count === 0) return;
  const rows = Math.floor(values.length / dim);
  const ids = first.map((r) => `'${idOf(r).slice(0, 80)}'`).join(', ');
  throw new Error(`${what}: ${count} of ${rows} vector(s) contain NaN or infinite values, e.g. ${ids}${hint ? `; ${hint}` : ''}`);
}
