/**
 * A small seeded PRNG whose whole state is four 32-bit words, so it serialises to JSON and gives
 * the same stream on every machine (Math.random gives neither).
 *
 * Generator: xoshiro128** 1.0 (Blackman & Vigna), seeded through splitmix32 so that nearby seeds
 * (1, 2, 3, ...) give unrelated streams and the all-zero state cannot occur.
 */

/** The JSON form of an {@link Rng}'s state. */
export type RngState = [number, number, number, number];

/** splitmix32: one step of the mixer used to expand a seed into generator state. */
export function splitmix32(x: number): { value: number; next: number } {
  const next = (x + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return { value: z, next };
}

/** Mixes several non-negative integers (seed, epoch, ...) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x243f6a88;
  for (const p of parts) {
    if (!Number.isSafeInteger(p) || p < 0) throw new Error(`seed parts must be non-negative safe integers, got ${p}`);
    // Both 32-bit halves count, so seeds above 2^32 are not folded onto smaller ones.
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = splitmix32((h ^ lo) >>> 0).value;
    h = splitmix32((h ^ hi) >>> 0).value;
  }
  return h;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(s: RngState) {
    [this.s0, this.s1, this.s2, this.s3] = s;
  }

  /** A generator seeded from a non-negative integer (any safe integer, not only 32-bit). */
  static fromSeed(seed: number): Rng {
    let x = mixSeed(seed);
    const s: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = splitmix32(x);
      s.push(r.value);
      x = r.next;
    }
    if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
    return new Rng(s as RngState);
  }

  /** A generator continuing from a saved state (see {@link state}). */
  static fromState(state: unknown): Rng {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
      throw new Error(`RNG state must be an array of four unsigned 32-bit integers, got ${JSON.stringify(state)}`);
    }
    if (state.every((v) => v === 0)) throw new Error('RNG state must not be all zeros');
    return new Rng(state as RngState);
  }

  /** The state as plain numbers, safe to JSON.stringify. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  clone(): Rng {
    return new Rng(this.state());
  }

  /** The next unsigned 32-bit output. */
  nextU32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return r;
  }

  /** A float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer uniform in [0, n), without modulo bias (n ≤ 2^32). */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) throw new Error(`nextInt bound must be an integer in [1, 2^32], got ${n}`);
    if (n === 1) return 0;
    // Rejection: discard the top partial range so every residue is equally likely.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.nextFloat() < p;
  }

  /** Index drawn with probability proportional to weights[i] (weights ≥ 0, at least one > 0). */
  weightedIndex(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    if (!(total > 0)) throw new Error('weightedIndex needs at least one positive weight');
    let u = this.nextFloat() * total;
    let last = -1;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w <= 0) continue;
      last = i;
      if (u < w) return i;
      u -= w;
    }
    return last; // rounding can leave u a hair above the last weight
  }

  /** Fisher–Yates shuffle in place. */
  shuffle(a: { length: number; [i: number]: number }): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
