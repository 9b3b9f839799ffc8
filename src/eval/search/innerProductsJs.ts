/**
 * Inner products of every query with every candidate in plain TypeScript: out[i·nc + j] = ⟨q_i, c_j⟩, accumulated
 * in float64 then stored as float32. The reference the tensor-engine search is tested against, and the scorer
 * when the native addon is unavailable (slow: about 1 GFLOP/s).
 */
export function innerProductsJs(queries: Float32Array, candidates: Float32Array, dim: number, out?: Float32Array): Float32Array {
  const nq = queries.length / dim;
  const nc = candidates.length / dim;
  if (!Number.isInteger(nq) || !Number.isInteger(nc)) throw new Error(`innerProductsJs: lengths ${queries.length}, ${candidates.length} are not multiples of dim ${dim}`);
  const res = out ?? new Float32Array(nq * nc);
  for (let i = 0; i < nq; i++) {
    const qo = i * dim;
    for (let j = 0; j < nc; j++) {
      const co = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += queries[qo + d]! * candidates[co + d]!;
      res[i * nc + j] = s;
    }
  }
  return res;
}

/** L2-normalises rows in place (cosine similarity = inner product of normalised rows); zero rows stay zero. */
export function normalizeRows(x: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < x.length; o += dim) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[o + d]! * x[o + d]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dim; d++) x[o + d]! *= inv;
  }
  return x;
}
