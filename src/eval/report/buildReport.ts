import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import type { EvalResults } from '../results.js';
import { pairContributions, pairedTests, type SettingValues } from '../stats/pairedTests.js';
import { heatmapSvg, svgToPng } from './heatmap.js';
import { matrixTable, rankDistanceTable, relevanceTable, seenUnseenTable, summaryTable, toCsv, toMarkdown, type Table } from './tables.js';

export interface ReportOptions {
  outDir: string;
  /** Resamples for the paired tests (default 10,000). */
  samples?: number;
  seed?: number;
  /** Skip PNG rendering (SVG only). */
  png?: boolean;
}

/** A comparable group of settings: LAReQA's mono / cross / multi, or MIRACL's languages and their average. */
interface Group {
  name: string;
  metric: string;
  values: (r: EvalResults) => SettingValues[];
}

function groups(r: EvalResults): Group[] {
  if (r.lareqa) {
    const metrics = Object.keys(r.lareqa.summary.mono.metrics);
    const out: Group[] = [];
    for (const kind of ['mono', 'cross', 'multi'] as const) {
      for (const metric of metrics) {
        out.push({
          name: { mono: 'Mo.', cross: 'Cr.', multi: 'Mul.' }[kind],
          metric,
          values: (x) =>
            x.lareqa!.settings.filter((s) => s.kind === kind).map((s) => ({ setting: `${s.query}→${s.pool}`, qids: s.perQuery.qids, values: s.perQuery.values[metric]! })),
        });
      }
    }
    return out;
  }
  if (r.beir) {
    const ds = r.beir.dataset;
    return Object.keys(r.beir.metrics).map((metric) => ({
      name: ds,
      metric,
      values: (x: EvalResults) => {
        const b = x.beir;
        if (!b || b.dataset !== ds) throw new Error(`results '${x.name}' are not on dataset '${ds}'`);
        const v = b.perQuery.values[metric];
        if (!v) throw new Error(`results '${x.name}' have no metric '${metric}'`);
        return [{ setting: ds, qids: b.perQuery.qids, values: v }];
      },
    }));
  }
  if (r.tatoeba) {
    const out: Group[] = [];
    for (const dir of ['xx2en', 'en2xx'] as const) {
      const one = (lang: string) => (x: EvalResults) => {
        const l = x.tatoeba?.perQuery[lang];
        if (!l) throw new Error(`results '${x.name}' have no Tatoeba language '${lang}'`);
        return [{ setting: lang, qids: l[dir].map((_, i) => `${lang}/${i}`), values: l[dir] }];
      };
      // One group per direction over all languages (the macro average); each language is a setting.
      out.push({ name: 'avg', metric: dir, values: (x) => r.tatoeba!.order.flatMap((l) => one(l)(x)) });
    }
    return out;
  }
  const m = r.miracl!;
  const out: Group[] = [];
  for (const metric of Object.keys(m.macro)) {
    const one = (lang: string) => (x: EvalResults) => {
      const l = x.miracl!.perLanguage[lang];
      if (!l) throw new Error(`results '${x.name}' have no MIRACL language '${lang}'`);
      return [{ setting: lang, qids: l.perQuery.qids.map((q) => `${lang}/${q}`), values: l.perQuery.values[metric]! }];
    };
    for (const lang of m.languages) out.push({ name: lang, metric, values: one(lang) });
    out.push({ name: 'avg', metric, values: (x) => m.languages.flatMap((l) => one(l)(x)) });
  }
  return out;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

const fmtP = (p: number) => (p < 0.001 ? '<.001' : p.toFixed(3));

/** The macro-averaged group value of one system (mean over settings of the per-setting mean). */
function groupValue(vals: SettingValues[]): number {
  let s = 0;
  for (const v of vals) s += v.values.reduce((a, b) => a + b, 0) / Math.max(1, v.values.length);
  return vals.length ? s / vals.length : 0;
}

/**
 * Writes report.md, summary.csv, and per results file matrix-<name>.csv and heatmap-<name>.svg/.png; with two or
 * more results, a comparison against the first (Δ and paired randomization / bootstrap p-values over queries).
 * Returns the paths written.
 */
export async function buildReport(results: readonly EvalResults[], opts: ReportOptions): Promise<string[]> {
  if (results.length === 0) throw new Error('report: no results files');
  const task = results[0]!.task;
  for (const r of results) if (r.task !== task) throw new Error(`report: cannot mix tasks ('${task}' and '${r.task}' in '${r.name}')`);
  const names = new Set<string>();
  for (const r of results) {
    if (names.has(r.name)) throw new Error(`report: two results are named '${r.name}' (give them different --name at eval time)`);
    names.add(r.name);
  }
  const written: string[] = [];
  const write = (file: string, data: string | Uint8Array) => {
    const p = join(opts.outDir, file);
    writeFileAtomic(p, data);
    written.push(p);
  };
  const md: string[] = [`# ${task} evaluation report`, ''];
  const csvRows: string[][] = [['system', 'group', 'metric', 'value', 'delta_vs_first', 'p_randomization', 'p_bootstrap']];
  for (const r of results) {
    md.push(`## ${r.name}`, '', `model: \`${r.model.path}\` · created ${r.createdAt} · config \`${JSON.stringify(r.config)}\``, '', toMarkdown(summaryTable(r)), '');
    const su = seenUnseenTable(r);
    if (su) md.push(`Seen and unseen languages (training languages: ${r.seenUnseen!.trainingLanguages.join(', ')}; ${r.seenUnseen!.rule}):`, '', toMarkdown(su), '');
    const rel = relevanceTable(r);
    if (rel) md.push(`Relevance rule: \`${r.lareqa!.relevance!.rule}\`.`, '', toMarkdown(rel), '');
    const rd = rankDistanceTable(r);
    if (rd) md.push('Language bias (rank distance in the multilingual pool; lower is less biased):', '', toMarkdown(rd), '');
    const mt = matrixTable(r);
    if (mt && r.lareqa) {
      const base = `${safe(r.name)}`;
      write(`matrix-${base}.csv`, toCsv(mt));
      const svg = heatmapSvg(r.lareqa.matrix.languages, r.lareqa.matrix.languages, r.lareqa.matrix.mAP, { title: `${r.name}: ${task} mAP, X→Y` });
      write(`heatmap-${base}.svg`, svg);
      if (opts.png !== false) write(`heatmap-${base}.png`, await svgToPng(svg));
      md.push(`![${r.name} X→Y mAP](heatmap-${base}.svg)`, '', toMarkdown(mt), '');
    }
  }

  const gs = groups(results[0]!);
  const base = results[0]!;
  const comparison: Table = { header: ['system', ...gs.map((g) => `${g.name} ${g.metric}`)], rows: [] };
  for (const [i, r] of results.entries()) {
    const row = [r.name];
    for (const g of gs) {
      const vals = g.values(r);
      const v = groupValue(vals);
      if (i === 0) {
        row.push(v.toFixed(3));
        csvRows.push([r.name, g.name, g.metric, String(v), '', '', '']);
      } else {
        const t = pairedTests(pairContributions(g.values(base), vals), opts.samples ?? 10000, opts.seed ?? 1);
        row.push(`${v.toFixed(3)} (${t.delta >= 0 ? '+' : ''}${t.delta.toFixed(3)}, p=${fmtP(t.pRandomization)})`);
        csvRows.push([r.name, g.name, g.metric, String(v), String(t.delta), String(t.pRandomization), String(t.pBootstrap)]);
      }
    }
    comparison.rows.push(row);
  }
  if (results.length > 1) {
    md.push(
      `## Comparison with ${base.name}`,
      '',
      `Each cell: macro average (Δ vs ${base.name}, p of a two-sided paired randomization test over queries, ${opts.samples ?? 10000} sign flips, seed ${opts.seed ?? 1}; ` +
        'a question and its translations flip together). Bootstrap p-values are in summary.csv.',
      '',
      toMarkdown(comparison),
      '',
    );
  }
  write('summary.csv', toCsv({ header: csvRows[0]!, rows: csvRows.slice(1) }));
  write('report.md', `${md.join('\n')}\n`);
  return written;
}
