import { DTYPE_BYTES, cat, noGrad, tidy, type Tensor } from '../tensor/index.js';
import { allReduce, worldSize } from './processGroup.js';

/** DDP's default bucket size: big enough to amortise each collective's latency, small enough to pipeline. */
export const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

/**
 * Averages the parameters' gradients over all ranks, as DistributedDataParallel does: gradients are
 * flattened into buckets of about `bucketBytes` (one dtype and device per bucket), each bucket is
 * all-reduced once, divided by the world size and copied back. Parameters without a gradient are
 * skipped; every rank must have gradients for the same parameters (true when every rank backpropagates
 * the same loss structure, as the trainer does). The reduction runs after the backward pass, not
 * overlapped with it.
 */
export function averageGradients(params: readonly Tensor[], bucketBytes = DEFAULT_BUCKET_BYTES): { buckets: number; bytes: number } {
  if (worldSize() === 1) return { buckets: 0, bytes: 0 };
  const grads: Tensor[] = [];
  for (const p of params) {
    const g = p.grad;
    if (g) grads.push(g);
  }
  let buckets = 0;
  let bytes = 0;
  try {
    let bucket: Tensor[] = [];
    let size = 0;
    const flush = (): void => {
      if (bucket.length === 0) return;
      const members = bucket;
      bucket = [];
      size = 0;
      buckets += 1;
      noGrad(() =>
        tidy(() => {
          const flat = members.length === 1 ? members[0]!.contiguous().view(-1).clone() : cat(members.map((g) => g.reshape(-1)));
          allReduce([flat], 'avg');
          let off = 0;
          for (const g of members) {
            const n = g.numel;
            g.copy_(flat.narrow(0, off, n).view(...g.shape));
            off += n;
          }
        }),
      );
    };
    for (const g of grads) {
      const b = g.numel * DTYPE_BYTES[g.dtype];
      const last = bucket[bucket.length - 1];
      if (last && (last.dtype !== g.dtype || last.device !== g.device || size + b > bucketBytes)) flush();
      bucket.push(g);
      size += b;
      bytes += b;
    }
    flush();
  } finally {
    for (const g of grads) g.dispose();
  }
  return { buckets, bytes };
}

