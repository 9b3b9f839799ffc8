import { fromArray, tidy, keep, cat, normalize, type Tensor, type Device } from '../../tensor/index.js';

export interface TopKResult {
  /** [nq × k] scores, each row descending. */
  scores: Float32Array;
  /** [nq × k] candidate row numbers (global, counting from the first chunk). */
  indices: Int32Array;
  k: number;
}

export interface ExactTopKOptions {
  k: number;
  /** 'ip': inner product; 'cosine': rows L2-normalised first. */
  similarity?: 'ip' | 'cosine';
  device?: Device;
}

/**
 * Exact top-k search that streams the corpus: feed candidate chunks in order with `add`, each is scored against
 * all queries with one matmul, and only the running top-k per query is kept (merge = top-k of the concatenation).
 * Memory is bounded by queries × (chunk + k) scores, so a 10M × 768 corpus streams through with any chunk size.
 * Results are exact (no approximation); among equal scores the order is libtorch's.
 */
export class ExactTopK {
  private readonly q: Tensor;
  private best: { values: Tensor; indices: Tensor } | null = null;
  private seen = 0;
  readonly numQueries: number;

  constructor(queries: Float32Array, readonly dim: number, private readonly opts: ExactTopKOptions) {
    if (!(opts.k >= 1)) throw new Error(`ExactTopK: k must be ≥ 1, got ${opts.k}`);
    this.numQueries = queries.length / dim;
    const device = opts.device ?? 'cpu';
    this.q = tidy(() => {
      const t = fromArray(queries, [this.numQueries, dim], { device });
      return keep(opts.similarity === 'cosine' ? normalize(t, 2, 1) : t);
    });
  }

  /** Scores the next chunk of candidates ([n × D], rows following the previous chunk's). */
  add(chunk: Float32Array): void {
    const n = chunk.length / this.dim;
    if (!Number.isInteger(n)) throw new Error(`ExactTopK.add: ${chunk.length} values are not a multiple of dim ${this.dim}`);
    if (n === 0) return;
    const offset = this.seen;
    const next = tidy(() => {
      let c = fromArray(chunk, [n, this.dim], { device: this.opts.device ?? 'cpu' });
      if (this.opts.similarity === 'cosine') c = normalize(c, 2, 1);
      const s = this.q.matmul(c.transpose(0, 1));
      const kk = Math.min(this.opts.k, n);
      const top = s.topk(kk, 1, true, true);
      let values = top.values;
      let indices = top.indices.add(offset);
      if (this.best) {
        const vals = cat([this.best.values, values], 1);
        const idx = cat([this.best.indices, indices], 1);
        const merged = vals.topk(Math.min(this.opts.k, vals.size(1)), 1, true, true);
        values = merged.values;
        indices = idx.gather(1, merged.indices);
      }
      return { values: keep(values), indices: keep(indices) };
    });
    if (this.best) {
      this.best.values.dispose();
      this.best.indices.dispose();
    }
    this.best = next;
    this.seen += n;
  }

  /** The top-k so far (k shrinks to the corpus size when the corpus is smaller). */
  result(): TopKResult {
    if (!this.best) return { scores: new Float32Array(0), indices: new Int32Array(0), k: 0 };
    const k = this.best.values.size(1);
    const scores = this.best.values.toFloat32Array();
    const indices = Int32Array.from(this.best.indices.toNumbers());
    return { scores, indices, k };
  }

  dispose(): void {
    this.q.dispose();
    this.best?.values.dispose();
    this.best?.indices.dispose();
    this.best = null;
  }
}
