import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { FolderOutput, retargetError } from '../../util/outputWriter.js';
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
  /** Replace a non-empty --out folder that is not an earlier report. */
  overwrite?: boolean;
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

/**
 * File-name stems for result names, distinct for distinct names: the ASCII-safe form, plus a short hash of the
 * original whenever characters were replaced (`mödel 1` and `mädel 1` would both be `m_del_1`) or two safe forms
 * collide case-insensitively (case-insensitive file systems).
 */
export function fileStems(names: readonly string[]): string[] {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
  const hash = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 8);
  const stems = names.map((n) => (safe(n) === n ? n : `${safe(n)}-${hash(n)}`));
  const seen = new Map<string, number>();
  for (const s of stems) seen.set(s.toLowerCase(), (seen.get(s.toLowerCase()) ?? 0) + 1);
  return stems.map((s, i) => (seen.get(s.toLowerCase())! > 1 ? `${s}-${hash(names[i]!)}` : s));
}

/** An existing report folder may be replaced by a new report: it holds a report.md (and nothing is merged in). */
export const isReportFolder = (dir: string): boolean => existsSync(join(dir, 'report.md'));

const fmtP = (p: number) => (p < 0.001 ? '<.001' : p.toFixed(3));

/** The macro-averaged group value of one system (mean over settings of the per-setting mean). */
function groupValue(vals: SettingValues[]): number | null {
  let s = 0;
  for (const v of vals) s += v.values.reduce((a, b) => a + b, 0) / Math.max(1, v.values.length);
  // No settings (cross-lingual with one language): the average does not exist; it is not 0.
  return vals.length ? s / vals.length : null;
}

/** The languages (or, for BEIR, the dataset and language) a results file covers: reports compare like with like. */
function languagesOf(r: EvalResults): string[] {
  if (r.lareqa) return [...r.lareqa.languages].sort();
  if (r.miracl) return [...r.miracl.languages].sort();
  if (r.tatoeba) return [...r.tatoeba.order].sort();
  if (r.beir) return [`${r.beir.dataset}:${r.beir.language}`];
  return [];
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
  // Results over different languages cannot be compared setting by setting: refused before anything is written.
  const langs0 = languagesOf(results[0]!);
  for (const r of results.slice(1)) {
    const l = languagesOf(r);
    if (l.join(',') !== langs0.join(',')) {
      throw new Error(`report: '${r.name}' covers the languages ${l.join(', ')} but '${results[0]!.name}' covers ${langs0.join(', ')}; compare results over the same languages (polyret eval --lang)`);
    }
  }
  // The whole report is one folder set: written beside the target and renamed into place only when every file
  // is there, so a failure (a full disk, a bad results file) leaves no half report and an older report intact.
  const out = new FolderOutput(opts.outDir, { existing: isReportFolder, overwrite: opts.overwrite, what: 'folder (not a polyret report)' });
  try {
    const written = await fill(results, opts, task, (file, data) => out.write(file, data)).then((files) => files.map((f) => out.finalPath(f)));
    out.commit();
    return written;
  } catch (err) {
    out.abort();
    throw retargetError(err, out.tmpDir, opts.outDir);
  }
}

async function fill(results: readonly EvalResults[], opts: ReportOptions, task: string, put: (file: string, data: string | Uint8Array) => void): Promise<string[]> {
  const written: string[] = [];
  const write = (file: string, data: string | Uint8Array) => {
    put(file, data);
    written.push(file);
  };
  const stems = fileStems(results.map((r) => r.name));
  const md: string[] = [`# ${task} evaluation report`, ''];
  const csvRows: string[][] = [['system', 'group', 'metric', 'value', 'delta_vs_first', 'p_randomization', 'p_bootstrap']];
  for (const [ri, r] of results.entries()) {
    md.push(`## ${r.name}`, '', `model: \`${r.model.path}\` · created ${r.createdAt} · config \`${JSON.stringify(r.config)}\``, '', toMarkdown(summaryTable(r)), '');
    const su = seenUnseenTable(r);
    if (su) md.push(`Seen and unseen languages (training languages: ${r.seenUnseen!.trainingLanguages.join(', ')}; ${r.seenUnseen!.rule}):`, '', toMarkdown(su), '');
    const rel = relevanceTable(r);
    if (rel) md.push(`Relevance rule: \`${r.lareqa!.relevance!.rule}\`.`, '', toMarkdown(rel), '');
    const rd = rankDistanceTable(r);
    if (rd) md.push('Language bias (rank distance in the multilingual pool; lower is less biased):', '', toMarkdown(rd), '');
    if (r.tatoeba) {
      // The per-language accuracies as a picture: the two directions down, languages across, one colour scale 0–1.
      const t = r.tatoeba;
      const base = `tatoeba-${stems[ri]}`;
      const svg = heatmapSvg(
        ['xx→en', 'en→xx'],
        t.order,
        [t.order.map((l) => t.languages[l]!.xx2en), t.order.map((l) => t.languages[l]!.en2xx)],
        { title: `${r.name}: Tatoeba accuracy@1`, rowLabel: 'direction', colLabel: 'language (LASER code)', min: 0, max: 1 },
      );
      write(`${base}.svg`, svg);
      if (opts.png !== false) write(`${base}.png`, await svgToPng(svg));
      md.push(`![${r.name} Tatoeba accuracy](${base}.svg)`, '');
    }
    const mt = matrixTable(r);
    if (mt && r.lareqa) {
      const base = stems[ri]!;
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
      if (v === null) {
        row.push('n/a');
        csvRows.push([r.name, g.name, g.metric, '', '', '', '']);
      } else if (i === 0) {
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
