/**
 * The numbers a study reports, read from one results file: scalar metrics (with per-query values where the task
 * keeps them, for paired tests), per-language values (for the seen / unseen bars) and the X→Y matrix. One place
 * knows each task's results layout; the report only sees these records, so a new task needs a case here.
 */
import type { EvalResults } from '../eval/results.js';
import type { SettingValues } from '../eval/stats/pairedTests.js';
import type { TatoebaResults } from '../eval/tasks/tatoeba.js';
import { tatoebaLanguageSeen } from '../eval/tasks/tatoebaLanguages.js';

export interface MetricValue {
  /** Stable id within the evaluation, e.g. `Cr. mAP`, `Mul. mAP (unseen)`. */
  metric: string;
  value: number;
  higherIsBetter: boolean;
  /** Per-query values grouped by setting, for paired tests over queries (absent: the task keeps none). */
  units?: SettingValues[];
}

export interface LanguageValue {
  /** The language as the task names it (e.g. LASER code) and whether training saw it. */
  lang: string;
  seen: boolean | undefined;
  value: number;
}

export interface RunNumbers {
  metrics: MetricValue[];
  /** metric label → per-language values (one bar chart each). */
  languages: Record<string, LanguageValue[]>;
  /** X→Y mAP matrix (LAReQA tasks). */
  matrix?: { languages: string[]; values: number[][] };
}

interface BeirLike {
  dataset: string;
  metrics: Record<string, number>;
  perQuery?: { qids: string[]; values: Record<string, number[]> };
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** `seen` is the training languages (ISO 639-1) or undefined when the model folder does not record them. */
export function runNumbers(r: EvalResults, seen: readonly string[] | undefined): RunNumbers {
  const isSeen = (lang: string): boolean | undefined => (seen ? seen.includes(lang) : undefined);
  const out: RunNumbers = { metrics: [], languages: {} };
  const doc = r as EvalResults & { tatoeba?: TatoebaResults; beir?: BeirLike };

  if (r.lareqa) {
    const L = r.lareqa;
    const groups = [
      ['mono', 'Mo.'],
      ['cross', 'Cr.'],
      ['multi', 'Mul.'],
    ] as const;
    for (const [kind, label] of groups) {
      const settings = L.settings.filter((s) => s.kind === kind);
      const units = (ss: typeof settings, m: string) => ss.map((s) => ({ setting: `${s.query}→${s.pool}`, qids: s.perQuery.qids, values: s.perQuery.values[m]! }));
      out.metrics.push({ metric: `${label} mAP`, value: L.summary[kind].metrics.mAP!, higherIsBetter: true, units: units(settings, 'mAP') });
      if (seen) {
        // A setting is "seen" when every language in it was trained on (the query's, and the pool's unless multilingual).
        const langsOf = (s: (typeof settings)[number]) => (kind === 'multi' ? [s.query] : [s.query, s.pool]);
        const seenSet = settings.filter((s) => langsOf(s).every((l) => isSeen(l)));
        const unseenSet = settings.filter((s) => langsOf(s).some((l) => !isSeen(l)));
        for (const [suffix, ss] of [['seen', seenSet], ['unseen', unseenSet]] as const) {
          if (ss.length) out.metrics.push({ metric: `${label} mAP (${suffix})`, value: mean(ss.map((s) => s.metrics.mAP!)), higherIsBetter: true, units: units(ss, 'mAP') });
        }
      }
      if (kind === 'multi') {
        out.metrics.push({ metric: 'rank distance', value: L.rankDistance.macro, higherIsBetter: false, units: units(settings, 'rankDistance') });
        out.languages['Mul. mAP by query language'] = settings.map((s) => ({ lang: s.query, seen: isSeen(s.query), value: s.metrics.mAP! }));
      }
      if (kind === 'mono') out.languages['Mo. mAP (X→X)'] = settings.map((s) => ({ lang: s.query, seen: isSeen(s.query), value: s.metrics.mAP! }));
    }
    out.matrix = { languages: L.matrix.languages, values: L.matrix.mAP };
    return out;
  }
  if (doc.tatoeba) {
    const T = doc.tatoeba;
    const codes = Object.keys(T.languages).sort();
    // Tatoeba uses LASER codes; the training languages are ISO 639-1 (the task's own mapping decides).
    const tSeen = (c: string) => (seen ? tatoebaLanguageSeen(c, seen) : undefined);
    const units = (cs: readonly string[], dir: 'xx2en' | 'en2xx') =>
      T.perQuery ? cs.map((c) => ({ setting: c, qids: T.perQuery[c]![dir].map((_, i) => `${c}/${i}`), values: T.perQuery[c]![dir] })) : undefined;
    const push = (metric: string, cs: readonly string[], dir: 'xx2en' | 'en2xx', value: number) => {
      const u = units(cs, dir);
      out.metrics.push({ metric, value, higherIsBetter: true, ...(u ? { units: u } : {}) });
    };
    push('xx→en acc@1', codes, 'xx2en', T.average.xx2en);
    push('en→xx acc@1', codes, 'en2xx', T.average.en2xx);
    if (seen) {
      for (const suffix of ['seen', 'unseen'] as const) {
        const cs = codes.filter((c) => (suffix === 'seen') === tSeen(c));
        if (!cs.length) continue;
        push(`xx→en acc@1 (${suffix})`, cs, 'xx2en', mean(cs.map((c) => T.languages[c]!.xx2en)));
        push(`en→xx acc@1 (${suffix})`, cs, 'en2xx', mean(cs.map((c) => T.languages[c]!.en2xx)));
      }
    }
    out.languages['accuracy@1, mean of xx→en and en→xx'] = codes.map((c) => ({ lang: c, seen: tSeen(c), value: (T.languages[c]!.xx2en + T.languages[c]!.en2xx) / 2 }));
    return out;
  }
  if (doc.beir) {
    const B = doc.beir;
    for (const [m, v] of Object.entries(B.metrics)) {
      const vals = B.perQuery?.values[m];
      out.metrics.push({ metric: m, value: v, higherIsBetter: true, ...(vals && B.perQuery ? { units: [{ setting: B.dataset, qids: B.perQuery.qids, values: vals }] } : {}) });
    }
    return out;
  }
  if (r.miracl) {
    const M = r.miracl;
    for (const [m, v] of Object.entries(M.macro)) {
      out.metrics.push({
        metric: m,
        value: v,
        higherIsBetter: true,
        units: M.languages.map((l) => ({ setting: l, qids: M.perLanguage[l]!.perQuery.qids.map((q) => `${l}/${q}`), values: M.perLanguage[l]!.perQuery.values[m]! })),
      });
      out.languages[m] = M.languages.map((l) => ({ lang: l, seen: isSeen(l), value: M.perLanguage[l]!.metrics[m]! }));
    }
    return out;
  }
  throw new Error(`results '${r.name}': task '${String(r.task)}' has no layout the study report knows (lareqa, tatoeba, beir or miracl section)`);
}
