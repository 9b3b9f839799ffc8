import { arange, crossEntropy, fromArray, normalize, tidy, type Tensor } from '../../tensor/index.js';

/**
 * Which passage belongs to which triplet, and which triplets are translations of each other.
 * Passages are laid out as the B positives in query order, then every hard negative:
 * `passageOwner[j]` is the triplet (query row) passage j came from, so `passageOwner[i] = i` for i < B.
 */
export interface TripletLayout {
  /** Per triplet: a group number shared by triplets with the same example id (translations). */
  groups: readonly number[];
  /** Per passage column: the triplet it belongs to. */
  passageOwner: readonly number[];
}

export interface InfoNCEOptions {
  /** Multiplier of the similarities: 1/temperature; a tensor (scalar) when the temperature is learned. */
  scale: number | Tensor;
  /** Also score each positive against every query (passage→query) and average both directions. */
  symmetric?: boolean;
  /** Cosine similarity (L2-normalise the embeddings first); default true. */
  normalize?: boolean;
}

/** The layout of B triplets with `negatives[i]` hard negatives each, ids given per triplet. */
export function tripletLayout(ids: readonly string[], negativesPerTriplet: readonly number[]): TripletLayout {
  if (ids.length !== negativesPerTriplet.length) throw new Error(`tripletLayout: ${ids.length} ids but ${negativesPerTriplet.length} negative counts`);
  const groupOf = new Map<string, number>();
  const groups = ids.map((id) => {
    let g = groupOf.get(id);
    if (g === undefined) {
      g = groupOf.size;
      groupOf.set(id, g);
    }
    return g;
  });
  const passageOwner = ids.map((_, i) => i);
  negativesPerTriplet.forEach((n, i) => {
    for (let k = 0; k < n; k++) passageOwner.push(i);
  });
  return { groups, passageOwner };
}

/**
 * Boolean mask [rows, cols], true where column c must not count as a negative of row r: it is a
 * translation (same group) of r's triplet, but not r's own positive or own hard negatives.
 * Null when nothing is masked (the usual case: the samplers keep ids unique per batch).
 */
function translationMask(rowGroups: readonly number[], colOwner: readonly number[], colGroups: readonly number[], device: string): Tensor | null {
  const R = rowGroups.length;
  const C = colOwner.length;
  const m = new Uint8Array(R * C);
  let any = false;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const owner = colOwner[c]!;
      if (owner !== r && colGroups[owner] === rowGroups[r]) {
        m[r * C + c] = 1;
        any = true;
      }
    }
  }
  return any ? fromArray(m, [R, C], { dtype: 'bool', device }) : null;
}

/**
 * InfoNCE (MultipleNegativesRankingLoss) over triplets: query i's positive is passage i; every
 * other passage in the batch — the positives and hard negatives of the other triplets, and i's
 * own hard negatives — is a negative, except translations of i's own example (masked to −∞).
 * Cross-entropy over log-softmax keeps it numerically stable.
 *   loss = mean_i −log softmax_j(s·cos(q_i, p_j))[i]
 * With `symmetric`, the passage→query direction (positive i against all queries) is averaged in.
 * q: [B, D] query embeddings, p: [P, D] passage embeddings (P = B + negatives).
 */
export function infoNCELoss(q: Tensor, p: Tensor, layout: TripletLayout, opts: InfoNCEOptions): Tensor {
  const B = q.size(0);
  const P = p.size(0);
  if (layout.groups.length !== B) throw new Error(`infoNCELoss: ${B} queries but ${layout.groups.length} groups`);
  if (layout.passageOwner.length !== P) throw new Error(`infoNCELoss: ${P} passages but layout has ${layout.passageOwner.length}`);
  if (P < B) throw new Error(`infoNCELoss: fewer passages (${P}) than queries (${B})`);
  for (let i = 0; i < B; i++) if (layout.passageOwner[i] !== i) throw new Error('infoNCELoss: passages must start with the B positives in query order');
  return tidy(() => {
    const cosine = opts.normalize ?? true;
    const qn = cosine ? normalize(q, 2, -1) : q;
    const pn = cosine ? normalize(p, 2, -1) : p;
    const target = arange(B, undefined, 1, { device: q.device });
    const scaled = (x: Tensor): Tensor => x.mul(opts.scale);
    let logits = scaled(qn.matmul(pn.t()));
    const mask = translationMask(layout.groups, layout.passageOwner, layout.groups, q.device);
    if (mask) logits = logits.maskedFill(mask, -Infinity);
    const forward = crossEntropy(logits, target);
    if (!opts.symmetric) return forward;
    let back = scaled(pn.narrow(0, 0, B).matmul(qn.t()));
    const ownerOfQuery = layout.groups.map((_, i) => i);
    const maskBack = translationMask(layout.groups, ownerOfQuery, layout.groups, q.device);
    if (maskBack) back = back.maskedFill(maskBack, -Infinity);
    return forward.add(crossEntropy(back, target)).div(2);
  });
}
