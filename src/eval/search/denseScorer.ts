import { fromArray, tidy, keep, type Tensor, type Device } from '../../tensor/index.js';

/**
 * Full score matrices (every query against a fixed candidate set) on the tensor engine: the candidate matrix is
 * uploaded once (transposed, [D, N]) and each block of queries costs one matmul. Used for LAReQA, whose full-pool
 * mAP needs every score. Scores are float32 inner products; normalise rows first for cosine.
 */
export class DenseScorer {
  private readonly candT: Tensor;
  readonly numCandidates: number;

  constructor(candidates: Float32Array, readonly dim: number, readonly device: Device = 'cpu') {
    this.numCandidates = candidates.length / dim;
    if (!Number.isInteger(this.numCandidates)) throw new Error(`DenseScorer: ${candidates.length} values are not a multiple of dim ${dim}`);
    this.candT = tidy(() => keep(fromArray(candidates, [this.numCandidates, dim], { device }).transpose(0, 1).contiguous()));
  }

  /** Scores of `queries` [n × D] against all candidates: Float32Array [n × N], row-major. */
  scores(queries: Float32Array): Float32Array {
    const n = queries.length / this.dim;
    return tidy(() => fromArray(queries, [n, this.dim], { device: this.device }).matmul(this.candT).toFloat32Array());
  }

  dispose(): void {
    this.candT.dispose();
  }
}
