import { backward, cat, keep, manualSeed, noGrad, tidy, type Tensor } from '../tensor/index.js';
import type { TextEncoder, TextRole } from './textEncoder.js';

/** Loss on the whole batch's embeddings (queries [B, D], passages [P, D]). */
export type EmbeddingLoss = (q: Tensor, p: Tensor) => Tensor;

export interface ContrastiveStepOptions {
  /**
   * Texts per forward pass. Null (or ≥ the batch) embeds all queries in one pass and all
   * passages in another, keeping both graphs; smaller values use gradient caching.
   */
  miniBatch: number | null;
  /**
   * The RNG seed for forward pass number k (dropout masks). GradCache runs every mini-batch twice
   * (without, then with a graph); seeding both runs alike replays the same dropout masks, so the
   * cached gradients are exactly the ones the second run needs. Reseeding by (step, k) also makes
   * the masks independent of how the run was interrupted and resumed.
   */
  seedFor?: (k: number) => number;
}

export interface StepResult {
  loss: number;
  /** False when the loss was NaN/Inf: nothing was backpropagated into the encoder. */
  finite: boolean;
  /** Non-padding tokens encoded (both passes counted once). */
  tokens: number;
}

interface Chunk {
  role: TextRole;
  texts: readonly string[];
}

function chunks(queries: readonly string[], passages: readonly string[], size: number): Chunk[] {
  const out: Chunk[] = [];
  for (const [role, texts] of [['query', queries], ['passage', passages]] as const) {
    for (let i = 0; i < texts.length; i += size) out.push({ role, texts: texts.slice(i, i + size) });
  }
  return out;
}

/**
 * One contrastive step's forward and backward: gradients are accumulated into the encoder's
 * parameters (and into any parameter the loss uses, e.g. a learned temperature); the caller
 * clips and steps the optimizer.
 *
 * With a mini-batch size, this is GradCache (Gao et al. 2021; Tevatron, sentence-transformers'
 * CachedMultipleNegativesRankingLoss): (1) embed every mini-batch without a graph; (2) compute the
 * loss on the whole batch's embeddings and its gradient with respect to each embedding; (3) run
 * each mini-batch again with a graph and backpropagate its slice of the cached gradient. Since the
 * loss depends on the parameters only through the embeddings, the chain rule makes the sum of the
 * mini-batch backward passes the full-batch gradient, while memory holds one mini-batch's graph.
 */
export function contrastiveStep(encoder: TextEncoder, queries: readonly string[], passages: readonly string[], loss: EmbeddingLoss, opts: ContrastiveStepOptions): StepResult {
  const total = Math.max(queries.length, passages.length);
  const size = opts.miniBatch === null || opts.miniBatch >= total ? total : opts.miniBatch;
  if (!(size >= 1)) throw new RangeError(`mini-batch size must be ≥ 1, got ${opts.miniBatch}`);
  const parts = chunks(queries, passages, size);
  const seed = (k: number): void => {
    if (opts.seedFor) manualSeed(opts.seedFor(k));
  };
  let tokens = 0;
  const countTokens = (): void => {
    tokens += encoder.lastTokenCount ?? 0;
  };

  if (size === total) {
    // Enough memory for the whole batch: one graph per side, no recomputation.
    return tidy(() => {
      const embs = parts.map((c, k) => {
        seed(k);
        const e = encoder.embed(c.texts, c.role);
        countTokens();
        return e;
      });
      // One chunk per side when the mini-batch covers the batch.
      const l = loss(embs[0]!, embs[1]!);
      const value = l.item();
      if (!Number.isFinite(value)) return { loss: value, finite: false, tokens };
      l.backward();
      return { loss: value, finite: true, tokens };
    });
  }

  // (1) Embeddings without graphs.
  const cached = noGrad(() =>
    parts.map((c, k) => {
      seed(k);
      const e = keep(tidy(() => encoder.embed(c.texts, c.role)));
      countTokens();
      return e;
    }),
  );
  try {
    // (2) Loss and embedding gradients on the full batch.
    const grads = tidy(() => {
      const q = cat(cached.filter((_, k) => parts[k]!.role === 'query')).requiresGrad_(true);
      const p = cat(cached.filter((_, k) => parts[k]!.role === 'passage')).requiresGrad_(true);
      const l = loss(q, p);
      const value = l.item();
      if (!Number.isFinite(value)) return { value, slices: null };
      l.backward();
      const gq = q.grad!;
      const gp = p.grad!;
      const slices: Tensor[] = [];
      let qOff = 0;
      let pOff = 0;
      for (const c of parts) {
        const n = c.texts.length;
        if (c.role === 'query') {
          slices.push(gq.narrow(0, qOff, n).contiguous());
          qOff += n;
        } else {
          slices.push(gp.narrow(0, pOff, n).contiguous());
          pOff += n;
        }
      }
      return { value, slices };
    });
    if (!grads.slices) return { loss: grads.value, finite: false, tokens };
    // (3) Re-run each mini-batch with a graph and push its cached gradient through it.
    parts.forEach((c, k) => {
      tidy(() => {
        seed(k);
        const e = encoder.embed(c.texts, c.role);
        backward([e], [grads.slices![k]!]);
      });
    });
    for (const g of grads.slices) g.dispose();
    return { loss: grads.value, finite: true, tokens };
  } finally {
    for (const e of cached) e.dispose();
  }
}
