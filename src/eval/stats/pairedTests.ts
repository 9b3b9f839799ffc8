import { Rng } from '../../sampling/rng.js';

/**
 * Paired significance tests over queries for the difference of two systems' mean metric.
 *
 * Input is a list of paired units: each unit is one query (or one question id shared by several settings) with
 * its weighted contribution c_u = Σ w·(b − a) to the statistic T = Σ_u c_u (the difference of the macro-averaged
 * metric, when w = 1/(settings · queries in the setting)). Tests are two-sided and seeded, so a report is
 * reproducible.
 */
export interface PairedTestResult {
  /** Observed difference T (system B minus system A). */
  delta: number;
  /** Paired randomization (sign-flip) test: p = (1 + #{|T*| ≥ |T|}) / (1 + R). */
  pRandomization: number;
  /** Paired bootstrap (resampling units, shifted to the null): p = (1 + #{|T_b − T| ≥ |T|}) / (1 + R); NaN when not asked for. */
  pBootstrap: number;
  units: number;
  samples: number;
}

export function pairedTests(contributions: Float64Array | readonly number[], samples = 10000, seed = 1, opts: { bootstrap?: boolean } = {}): PairedTestResult {
  const c = Float64Array.from(contributions);
  const n = c.length;
  let delta = 0;
  for (let i = 0; i < n; i++) delta += c[i]!;
  const abs = Math.abs(delta);
  // ties of |T*| with |T| in floating point: compare with a relative tolerance so symmetric cases count as extreme
  const thresh = abs - 1e-12 * Math.max(1, abs);
  const rng = Rng.fromSeed(seed);
  let extremeRand = 0;
  for (let r = 0; r < samples; r++) {
    let t = 0;
    for (let i = 0; i < n; i += 32) {
      const bits = rng.nextU32();
      const m = Math.min(32, n - i);
      for (let b = 0; b < m; b++) t += (bits >>> b) & 1 ? c[i + b]! : -c[i + b]!;
    }
    if (Math.abs(t) >= thresh) extremeRand++;
  }
  // The bootstrap draws one random index per unit and resample, several times the randomization test's cost; a
  // caller that reports only the randomization p (polyret study) skips it. The randomization p is the same either way.
  const bootstrap = opts.bootstrap ?? true;
  let extremeBoot = 0;
  for (let r = 0; bootstrap && r < samples; r++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += c[rng.nextInt(n)]!;
    if (Math.abs(t - delta) >= thresh) extremeBoot++;
  }
  return {
    delta,
    pRandomization: (1 + extremeRand) / (1 + samples),
    pBootstrap: bootstrap ? (1 + extremeBoot) / (1 + samples) : Number.NaN,
    units: n,
    samples,
  };
}

/** One system's per-query values of a metric in one setting. */
export interface SettingValues {
  setting: string;
  qids: readonly string[];
  values: readonly number[];
}

/**
 * Pairs two systems over the settings of a group (e.g. the 110 cross-lingual settings) and builds the per-unit
 * contributions for `pairedTests`: weight 1/(settings · queries) per (setting, query), summed per question id, so
 * a question's translations move together (they are not independent samples). Settings or queries missing from
 * either side are an error: comparing different query sets is not a paired test.
 */
export function pairContributions(a: readonly SettingValues[], b: readonly SettingValues[]): Float64Array {
  const bBySetting = new Map(b.map((s) => [s.setting, s]));
  if (a.length !== b.length) throw new Error(`paired test: ${a.length} settings against ${b.length}`);
  const units = new Map<string, number>();
  for (const sa of a) {
    const sb = bBySetting.get(sa.setting);
    if (!sb) throw new Error(`paired test: setting '${sa.setting}' is missing from the second results`);
    if (sb.qids.length !== sa.qids.length) throw new Error(`paired test: setting '${sa.setting}' has ${sa.qids.length} queries against ${sb.qids.length}`);
    const bIndex = new Map(sb.qids.map((q, i) => [q, i]));
    const w = 1 / (a.length * sa.qids.length);
    sa.qids.forEach((q, i) => {
      const j = bIndex.get(q);
      if (j === undefined) throw new Error(`paired test: query '${q}' of setting '${sa.setting}' is missing from the second results`);
      units.set(q, (units.get(q) ?? 0) + w * (sb.values[j]! - sa.values[i]!));
    });
  }
  return Float64Array.from(units.values());
}
