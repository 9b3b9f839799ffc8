import type { EvalResults } from '../results.js';

// null is a value that does not exist (cross-lingual averages with one language): n/a, never 0.
const f3 = (x: number | null | undefined) => (x === undefined ? '' : x === null ? 'n/a' : x.toFixed(3));
const f1 = (x: number | null | undefined) => (x === undefined ? '' : x === null ? 'n/a' : x.toFixed(1));

export interface Table {
  header: string[];
  rows: string[][];
}

/** The paper's summary table: Mo./Cr./Mul. macro averages (LAReQA) or per-language nDCG@10 / R@100 (MIRACL). */
export function summaryTable(r: EvalResults): Table {
  if (r.lareqa) {
    const s = r.lareqa.summary;
    const extra = Object.keys(s.mono.metrics).filter((m) => m !== 'mAP');
    const rows = (['mono', 'cross', 'multi'] as const).map((k) => [
      { mono: 'Mo.', cross: 'Cr.', multi: 'Mul.' }[k],
      String(s[k].settings),
      f3(s[k].metrics.mAP),
      ...extra.map((m) => f3(s[k].metrics[m])),
      k === 'multi' ? f1(s.multi.metrics.rankDistance) : '',
    ]);
    return { header: ['setting', 'n', 'mAP', ...extra, 'rank dist.'], rows };
  }
  const m = r.miracl!;
  const rows = m.languages.map((l) => [l, String(m.perLanguage[l]!.numQueries), f3(m.perLanguage[l]!.metrics['nDCG@10']), f3(m.perLanguage[l]!.metrics['R@100'])]);
  rows.push(['avg', '', f3(m.macro['nDCG@10']), f3(m.macro['R@100'])]);
  return { header: ['lang', 'queries', 'nDCG@10', 'R@100'], rows };
}

/** Rank distance per query language (multilingual pool). */
export function rankDistanceTable(r: EvalResults): Table | null {
  if (!r.lareqa) return null;
  const rd = r.lareqa.rankDistance;
  const langs = Object.keys(rd.perLanguage);
  return { header: ['', ...langs, 'macro', 'max'], rows: [['rank dist.', ...langs.map((l) => f1(rd.perLanguage[l])), f1(rd.macro), f1(rd.max)]] };
}

/** The X→Y mAP matrix (rows: query language). */
export function matrixTable(r: EvalResults): Table | null {
  if (!r.lareqa) return null;
  const { languages, mAP } = r.lareqa.matrix;
  return { header: ['query \\ pool', ...languages], rows: languages.map((l, i) => [l, ...mAP[i]!.map(f3)]) };
}

export function toText(t: Table): string {
  const w = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(t.header), ...t.rows.map(line)].join('\n');
}

export function toMarkdown(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function toCsv(t: Table): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return `${[t.header, ...t.rows].map((r) => r.map(q).join(',')).join('\n')}\n`;
}
