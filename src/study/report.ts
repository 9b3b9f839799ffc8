/**
 * The study report, computed only from DIR/summary.json and the per-run results files it names (so
 * `polyret study --report-only` regenerates the same report.md from a committed copy): mean ± sd over seeds per
 * grid point and metric, paired tests between grid points (per query, pairing queries within a seed; and across
 * seeds, a paired t-test), Holm-corrected over the comparisons made, and the pictures (SVG + PNG).
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite.js';
import type { EvalResults } from '../eval/results.js';
import { pairContributions, pairedTests } from '../eval/stats/pairedTests.js';
import { heatmapSvg, svgToPng } from '../eval/report/heatmap.js';
import { toMarkdown, type Table } from '../eval/report/tables.js';
import { pointKey, type GridValue } from './grid.js';
import { runNumbers, type RunNumbers } from './metrics.js';
import { languageBarsSvg, metricPanelsSvg, type Panel } from './plots.js';
import { holm, mean, pairedTTest, sd } from './statistics.js';
import { readSummary, type RunRecord, type StudySummary } from './summary.js';

export interface StudyReportOptions {
  /** Resamples of the per-query randomization tests (default 10,000) and their seed. */
  samples?: number;
  seed?: number;
  png?: boolean;
}

interface LoadedRun {
  rec: RunRecord;
  point: string;
  seed: GridValue | undefined;
  numbers: Map<string, RunNumbers>;
}

/** Reads a results file (`.json`, or `.json.gz` for committed copies). */
function readResultsFile(path: string): EvalResults {
  const p = existsSync(path) ? path : existsSync(`${path}.gz`) ? `${path}.gz` : path;
  let text: string;
  try {
    const buf = readFileSync(p);
    text = p.endsWith('.gz') ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read the results file named in summary.json (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new Error(`${p}: not valid JSON (${(err as Error).message})`);
  }
  if ((obj as { format?: unknown })?.format !== 'polyret-eval-results') throw new Error(`${p}: not a polyret results file`);
  return obj as EvalResults;
}

const short = (k: string) => {
  const s = k.split('.').at(-1)!;
  return s === 'alpha' ? 'α' : s;
};

/** A grid point's label: `α=0.5`; with a hybrid sampler α=1 is X-X mono and α=0 is X-Y cross. */
export function pointLabel(overrides: Record<string, GridValue>, seedKey: string): string {
  const parts = Object.entries(overrides)
    .filter(([k]) => k !== seedKey)
    .map(([k, v]) => {
      let s = `${short(k)}=${String(v)}`;
      if (k === 'sampling.alpha' && v === 1) s += ' (X-X mono)';
      if (k === 'sampling.alpha' && v === 0) s += ' (X-Y cross)';
      return s;
    });
  return parts.length ? parts.join(', ') : 'all runs';
}

const fmt = (v: number, metric: string) => (!Number.isFinite(v) ? 'n/a' : /rank distance/.test(metric) ? v.toFixed(1) : v.toFixed(3));
const fmtP = (p: number) => (!Number.isFinite(p) ? 'n/a' : p < 0.001 ? '<.001' : p.toFixed(3));
const safe = (s: string) => s.replace(/[^A-Za-z0-9.+-]+/g, '_').replace(/^_+|_+$/g, '');

/** Headline metrics get significance tests; seen/unseen splits are shown, not tested (a smaller family). */
const tested = (metric: string) => !/\((seen|unseen)\)$/.test(metric);

export async function buildStudyReport(dir: string, opts: StudyReportOptions = {}): Promise<string[]> {
  const summary: StudySummary = readSummary(dir);
  const samples = opts.samples ?? 10000;
  const seed = opts.seed ?? 1;
  const written: string[] = [];
  const write = (file: string, data: string | Uint8Array) => {
    writeFileAtomic(join(dir, file), data);
    written.push(join(dir, file));
  };

  const runs: LoadedRun[] = summary.runs.map((rec) => {
    const numbers = new Map<string, RunNumbers>();
    for (const [ev, file] of Object.entries(rec.results)) numbers.set(ev, runNumbers(readResultsFile(join(dir, file)), rec.trainingLanguages));
    return { rec, point: pointKey(rec.overrides, summary.seedKey), seed: rec.overrides[summary.seedKey], numbers };
  });
  const points: { key: string; label: string; overrides: Record<string, GridValue> }[] = [];
  for (const r of runs) if (!points.some((p) => p.key === r.point)) points.push({ key: r.point, label: pointLabel(r.rec.overrides, summary.seedKey), overrides: r.rec.overrides });
  const withResults = runs;
  // Every run with this evaluation's results counts, finished or not (a study stopped early still reports what it has).
  const runsOf = (point: string, ev: string) => runs.filter((r) => r.point === point && r.numbers.has(ev));

  const md: string[] = ['# Study report', ''];
  md.push(`Study config: \`${summary.config}\` · base training config: \`${summary.base}\``, '');
  if (summary.command) md.push('Reproduce (a finished study is not redone; `--resume` completes an interrupted one):', '', '```sh', summary.command, '```', '');
  md.push(`Grid: ${Object.entries(summary.grid).map(([k, v]) => `\`${k}\` ∈ {${v.join(', ')}}`).join(' × ')}; repetitions over \`${summary.seedKey}\`.`, '');
  const counts = (s: string) => runs.filter((r) => r.rec.status === s).length;
  md.push(`Runs: ${runs.length} in the grid, **${counts('done')} done**, ${counts('pending')} pending, ${counts('failed')} failed.`, '');
  const runTable: Table = { header: ['run', 'status', 'steps', 'best step', 'best val. loss', 'train min', 'evaluations'], rows: [] };
  for (const r of runs) {
    const t = r.rec.train;
    runTable.rows.push([r.rec.name, r.rec.status + (r.rec.error ? ` (${r.rec.error.slice(0, 80)})` : ''), t ? String(t.steps) : '', t?.bestStep != null ? String(t.bestStep) : '', t?.bestValidationLoss != null ? t.bestValidationLoss.toFixed(4) : '', t ? (t.seconds / 60).toFixed(1) : '', Object.keys(r.rec.results).join(', ')]);
  }
  md.push('<details><summary>Every run</summary>', '', toMarkdown(runTable), '', '</details>', '');

  // ---- mean ± sd tables ----
  interface Cmp { ev: string; metric: string; a: number; b: number; delta: number; nSeeds: number; pQuery: number; pSeeds: number; higherIsBetter: boolean }
  const cmps: Cmp[] = [];
  const csv: string[][] = [['evaluation', 'metric', 'point', 'n', 'mean', 'sd', 'values']];
  for (const ev of summary.evaluations) {
    const any = withResults.find((r) => r.numbers.has(ev));
    if (!any) {
      md.push(`## ${ev}`, '', 'No finished run has this evaluation yet.', '');
      continue;
    }
    const metricNames: string[] = [];
    for (const r of withResults) for (const m of r.numbers.get(ev)?.metrics ?? []) if (!metricNames.includes(m.metric)) metricNames.push(m.metric);
    const table: Table = { header: ['grid point', 'n', ...metricNames], rows: [] };
    for (const p of points) {
      const rs = runsOf(p.key, ev);
      const row = [p.label, String(rs.length)];
      for (const m of metricNames) {
        const vs = rs.map((r) => r.numbers.get(ev)!.metrics.find((x) => x.metric === m)?.value).filter((v): v is number => v !== undefined);
        row.push(vs.length ? `${fmt(mean(vs), m)} ± ${vs.length > 1 ? fmt(sd(vs), m) : 'n/a'}` : '');
        csv.push([ev, m, p.label, String(vs.length), String(mean(vs)), String(sd(vs)), vs.join(' ')]);
      }
      table.rows.push(row);
    }
    md.push(`## ${ev}`, '', 'Mean ± sample sd over seeds (n = seeds with results for this evaluation).', '', toMarkdown(table), '');

    // ---- comparisons: every pair of grid points, on the headline metrics ----
    for (const m of metricNames.filter(tested)) {
      for (let i = 0; i < points.length; i++) {
        for (let j = i + 1; j < points.length; j++) {
          const A = runsOf(points[i]!.key, ev);
          const B = runsOf(points[j]!.key, ev);
          const seeds = A.map((r) => r.seed).filter((s) => B.some((b) => b.seed === s));
          if (!seeds.length) continue;
          const va: number[] = [];
          const vb: number[] = [];
          const contribs: number[] = [];
          let perQuery = true;
          let higherIsBetter = true;
          for (const s of seeds) {
            const ma = A.find((r) => r.seed === s)!.numbers.get(ev)!.metrics.find((x) => x.metric === m);
            const mb = B.find((r) => r.seed === s)!.numbers.get(ev)!.metrics.find((x) => x.metric === m);
            if (!ma || !mb) continue;
            higherIsBetter = ma.higherIsBetter;
            va.push(ma.value);
            vb.push(mb.value);
            if (ma.units && mb.units) {
              // Queries are paired within a seed; the seeds' unit contributions are pooled, each weighted 1/seeds,
              // so the statistic is the seed-averaged difference and the test is stratified by seed.
              for (const c of pairContributions(ma.units, mb.units)) contribs.push(c / seeds.length);
            } else perQuery = false;
          }
          if (!va.length) continue;
          const t = pairedTTest(va, vb);
          const pq = perQuery && contribs.length ? pairedTests(contribs, samples, seed, { bootstrap: false }).pRandomization : Number.NaN;
          cmps.push({ ev, metric: m, a: i, b: j, delta: t.delta, nSeeds: va.length, pQuery: pq, pSeeds: t.p, higherIsBetter });
        }
      }
    }
  }
  write('summary.csv', `${csv.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`);

  if (cmps.length) {
    const hq = holm(cmps.map((c) => c.pQuery));
    const hs = holm(cmps.map((c) => c.pSeeds));
    const nq = cmps.filter((c) => Number.isFinite(c.pQuery)).length;
    const ns = cmps.filter((c) => Number.isFinite(c.pSeeds)).length;
    md.push(
      '## Paired significance tests between grid points',
      '',
      `Δ = B − A, averaged over the seeds both points finished. **per query**: two-sided paired randomization test ` +
        `(${samples} sign flips, seed ${seed}) over queries paired within each seed and pooled over seeds (each seed weighted equally; ` +
        `a LAReQA question and its translations flip together). **across seeds**: two-sided paired t-test over seeds (df = seeds − 1). ` +
        `Holm-corrected over the ${nq} per-query and, separately, the ${ns} across-seed comparisons in this table ` +
        '(every pair of grid points × every headline metric; the seen/unseen splits are reported above, not tested). ' +
        'For rank distance lower is better; for every other metric higher is better.',
      '',
    );
    const t: Table = { header: ['evaluation', 'metric', 'A', 'B', 'Δ (B − A)', 'seeds', 'p per query', 'Holm', 'p across seeds', 'Holm'], rows: [] };
    const csvT: string[][] = [['evaluation', 'metric', 'A', 'B', 'delta', 'seeds', 'p_query', 'p_query_holm', 'p_seeds', 'p_seeds_holm']];
    cmps.forEach((c, k) => {
      const d = `${c.delta >= 0 ? '+' : ''}${/rank distance/.test(c.metric) ? c.delta.toFixed(1) : c.delta.toFixed(4)}`;
      t.rows.push([c.ev, c.metric, points[c.a]!.label, points[c.b]!.label, d, String(c.nSeeds), fmtP(c.pQuery), fmtP(hq[k]!), fmtP(c.pSeeds), fmtP(hs[k]!)]);
      csvT.push([c.ev, c.metric, points[c.a]!.label, points[c.b]!.label, String(c.delta), String(c.nSeeds), String(c.pQuery), String(hq[k]), String(c.pSeeds), String(hs[k])]);
    });
    md.push(toMarkdown(t), '');
    write('tests.csv', `${csvT.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n')}\n`);
  }

  // ---- pictures ----
  const png = opts.png !== false;
  const picture = async (base: string, svg: string, alt: string) => {
    write(`${base}.svg`, svg);
    if (png) write(`${base}.png`, await svgToPng(svg));
    md.push(`![${alt}](${base}.svg)`, '', `([PNG](${base}.png))`, '');
  };
  md.push('## Pictures', '');
  const gridKeys = Object.keys(summary.grid).filter((k) => k !== summary.seedKey);
  const numericKey = gridKeys.length === 1 && summary.grid[gridKeys[0]!]!.every((v) => typeof v === 'number') ? gridKeys[0]! : undefined;
  const xOf = (p: (typeof points)[number], i: number) => (numericKey ? (p.overrides[numericKey] as number) : i);
  const xTicks = points.map((p, i) => ({ x: xOf(p, i), label: numericKey ? String(p.overrides[numericKey]) : p.label }));
  for (const ev of summary.evaluations) {
    const panels: Panel[] = [];
    const metricNames: string[] = [];
    for (const r of withResults) for (const m of r.numbers.get(ev)?.metrics ?? []) if (!metricNames.includes(m.metric)) metricNames.push(m.metric);
    for (const m of metricNames) {
      const per = points.map((p) => runsOf(p.key, ev).map((r) => r.numbers.get(ev)!.metrics.find((x) => x.metric === m)?.value).filter((v): v is number => v !== undefined));
      panels.push({ title: `${ev}: ${m}`, series: { x: points.map(xOf), mean: per.map((v) => mean(v)), sd: per.map((v) => sd(v)), points: per } });
    }
    if (panels.length) await picture(`metrics-${safe(ev)}`, metricPanelsSvg(`${ev}: each metric against ${numericKey ? short(numericKey) : 'the grid point'} (mean ± sd over seeds; grey dots: seeds)`, panels, numericKey ? short(numericKey) : 'grid point', xTicks), `${ev} metrics against ${numericKey ?? 'grid point'}`);

    // X→Y heatmap per grid point (mean over seeds), one colour scale for all points
    const mats = points.map((p) => {
      const rs = runsOf(p.key, ev).map((r) => r.numbers.get(ev)!.matrix).filter((m): m is NonNullable<typeof m> => m !== undefined);
      if (!rs.length) return undefined;
      const langs = rs[0]!.languages;
      return { langs, values: langs.map((_, i) => langs.map((__, j) => mean(rs.map((m) => m.values[i]![j]!)))), n: rs.length };
    });
    const flat = mats.flatMap((m) => (m ? m.values.flat() : []));
    for (const [i, m] of mats.entries()) {
      if (!m) continue;
      const p = points[i]!;
      await picture(`heatmap-${safe(ev)}-${safe(p.key || 'all')}`, heatmapSvg(m.langs, m.langs, m.values, { title: `${ev} mAP X→Y, ${p.label} (mean of ${m.n} seeds)`, min: Math.min(...flat), max: Math.max(...flat) }), `${ev} X→Y heatmap, ${p.label}`);
    }

    // per-language bars, seen vs unseen
    const charts = new Set<string>();
    for (const r of withResults) for (const k of Object.keys(r.numbers.get(ev)?.languages ?? {})) charts.add(k);
    let k = 0;
    for (const chart of charts) {
      const langs: { lang: string; seen: boolean | undefined }[] = [];
      for (const r of withResults) for (const l of r.numbers.get(ev)?.languages[chart] ?? []) if (!langs.some((x) => x.lang === l.lang)) langs.push({ lang: l.lang, seen: l.seen });
      const groups = langs.map(({ lang, seen: s }) => {
        const per = points.map((p) => runsOf(p.key, ev).map((r) => r.numbers.get(ev)!.languages[chart]?.find((x) => x.lang === lang)?.value).filter((v): v is number => v !== undefined));
        return { lang, seen: s, mean: per.map((v) => mean(v)), sd: per.map((v) => sd(v)) };
      });
      await picture(`languages-${safe(ev)}-${k++}`, languageBarsSvg(`${ev}: ${chart} per language (mean ± sd over seeds)`, chart, points.map((p) => p.label), groups), `${ev} ${chart} per language`);
    }
  }
  write('report.md', `${md.join('\n')}\n`);
  return written;
}
