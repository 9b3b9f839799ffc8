import type { EvalResults } from '../results.js';

const f3 = (x: number | undefined) => (x === undefined ? '' : x.toFixed(3));
const f1 = (x: number | undefined) => (x === undefined ? '' : x.toFixed(1));

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
  if (r.beir) {
    const b = r.beir;
    const names = Object.keys(b.metrics);
    return { header: ['dataset', 'lang', 'queries', ...names], rows: [[b.dataset, b.language, String(b.numQueries), ...names.map((m) => f3(b.metrics[m]))]] };
  }
  if (r.tatoeba) {
    const t = r.tatoeba;
    const rows = t.order.map((l) => {
      const x = t.languages[l]!;
      return [l, x.iso1 ?? '', x.name, String(x.n), f3(x.xx2en), f3(x.en2xx)];
    });
    rows.push(['avg', '', `${t.order.length} languages`, '', f3(t.average.xx2en), f3(t.average.en2xx)]);
    return { header: ['lang', 'iso', 'name', 'pairs', 'xx→en', 'en→xx'], rows };
  }
  const m = r.miracl!;
  const rows = m.languages.map((l) => [l, String(m.perLanguage[l]!.numQueries), f3(m.perLanguage[l]!.metrics['nDCG@10']), f3(m.perLanguage[l]!.metrics['R@100'])]);
  rows.push(['avg', '', f3(m.macro['nDCG@10']), f3(m.macro['R@100'])]);
  return { header: ['lang', 'queries', 'nDCG@10', 'R@100'], rows };
}

/** Seen / unseen averages per group, when the results have them. */
export function seenUnseenTable(r: EvalResults): Table | null {
  const su = r.seenUnseen;
  if (!su) return null;
  const metrics = [...new Set(Object.values(su.groups).flatMap((g) => Object.keys((g.seen ?? g.unseen)?.metrics ?? {})))];
  const rows: string[][] = [];
  for (const [group, g] of Object.entries(su.groups)) {
    for (const side of ['seen', 'unseen'] as const) {
      const a = g[side];
      rows.push([group, side, a ? String(a.items.length) : '0', ...metrics.map((m) => (a ? (m === 'rankDistance' ? f1(a.metrics[m]) : f3(a.metrics[m])) : ''))]);
    }
  }
  return { header: ['group', 'languages', 'n', ...metrics], rows };
}

/** Per language, the questions where XTREME's `start` rule and the `overlap` rule give different relevant sentences. */
export function relevanceTable(r: EvalResults): Table | null {
  const rel = r.lareqa?.relevance;
  if (!rel) return null;
  const langs = Object.keys(rel.differing);
  return { header: ['rules differ', ...langs], rows: [['questions', ...langs.map((l) => String(rel.differing[l]))]] };
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
