/**
 * The study's pictures as hand-written SVG (rendered to PNG by the caller with svgToPng): small multiples of
 * each metric against a grid key with error bars (mean ± sd over seeds, seeds as dots), and per-language grouped
 * bars with the languages seen in training on the left and the unseen ones on the right.
 */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** Round-ish tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, n = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmtTick = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : Number(v.toPrecision(3)).toString());

export interface Series {
  /** x positions (numeric grid values, or 0..n−1 for categorical points). */
  x: number[];
  mean: number[];
  sd: number[];
  /** Every seed's value at each x (dots). */
  points: number[][];
}

export interface Panel {
  title: string;
  series: Series;
}

/** Small multiples: one panel per metric, `cols` per row, a shared x axis labelled `xLabel` with `xTicks`. */
export function metricPanelsSvg(title: string, panels: readonly Panel[], xLabel: string, xTicks: { x: number; label: string }[], cols = 3): string {
  const pw = 260;
  const ph = 190;
  const rows = Math.ceil(panels.length / cols);
  const W = cols * pw + 20;
  const H = rows * ph + 50;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`, `<rect width="${W}" height="${H}" fill="#ffffff"/>`, `<text x="14" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`];
  const xs = xTicks.map((t) => t.x);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  panels.forEach((p, k) => {
    const ox = 10 + (k % cols) * pw;
    const oy = 40 + Math.floor(k / cols) * ph;
    const L = ox + 52;
    const R = ox + pw - 14;
    const T = oy + 24;
    const B = oy + ph - 42;
    const vals = [...p.series.points.flat(), ...p.series.mean.map((m, i) => m + (Number.isFinite(p.series.sd[i]!) ? p.series.sd[i]! : 0)), ...p.series.mean.map((m, i) => m - (Number.isFinite(p.series.sd[i]!) ? p.series.sd[i]! : 0))].filter(Number.isFinite);
    let lo = Math.min(...vals);
    let hi = Math.max(...vals);
    if (!(hi > lo)) {
      lo -= 0.5 * Math.abs(lo || 1);
      hi += 0.5 * Math.abs(hi || 1);
    }
    const pad = (hi - lo) * 0.08;
    lo -= pad;
    hi += pad;
    const sx = (x: number) => (x1 > x0 ? L + ((x - x0) / (x1 - x0)) * (R - L) : (L + R) / 2);
    const sy = (y: number) => B - ((y - lo) / (hi - lo)) * (B - T);
    out.push(`<text x="${L}" y="${oy + 14}" font-size="12" font-weight="bold">${esc(p.title)}</text>`);
    out.push(`<line x1="${L}" y1="${B}" x2="${R}" y2="${B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${B}" stroke="#444"/>`);
    for (const t of ticks(lo, hi)) out.push(`<line x1="${L - 3}" y1="${sy(t)}" x2="${R}" y2="${sy(t)}" stroke="#eee"/><text x="${L - 5}" y="${sy(t) + 3}" font-size="9" text-anchor="end">${fmtTick(t)}</text>`);
    for (const t of xTicks) out.push(`<text x="${sx(t.x)}" y="${B + 13}" font-size="9" text-anchor="middle">${esc(t.label)}</text>`);
    out.push(`<text x="${(L + R) / 2}" y="${B + 28}" font-size="10" text-anchor="middle" fill="#444">${esc(xLabel)}</text>`);
    const s = p.series;
    const order = s.x.map((_, i) => i).filter((i) => Number.isFinite(s.mean[i]!)).sort((a, b) => s.x[a]! - s.x[b]!);
    if (order.length > 1) out.push(`<polyline fill="none" stroke="${COLORS[0]}" stroke-width="1.5" points="${order.map((i) => `${sx(s.x[i]!)},${sy(s.mean[i]!)}`).join(' ')}"/>`);
    for (const i of order) {
      const cx = sx(s.x[i]!);
      for (const v of s.points[i]!) out.push(`<circle cx="${cx + 6}" cy="${sy(v)}" r="2" fill="#999"/>`);
      if (Number.isFinite(s.sd[i]!)) {
        const a = sy(s.mean[i]! - s.sd[i]!);
        const b = sy(s.mean[i]! + s.sd[i]!);
        out.push(`<line x1="${cx}" y1="${a}" x2="${cx}" y2="${b}" stroke="${COLORS[0]}"/><line x1="${cx - 4}" y1="${a}" x2="${cx + 4}" y2="${a}" stroke="${COLORS[0]}"/><line x1="${cx - 4}" y1="${b}" x2="${cx + 4}" y2="${b}" stroke="${COLORS[0]}"/>`);
      }
      out.push(`<circle cx="${cx}" cy="${sy(s.mean[i]!)}" r="3.5" fill="${COLORS[0]}"><title>${esc(`${s.mean[i]!.toFixed(4)} ± ${Number.isFinite(s.sd[i]!) ? s.sd[i]!.toFixed(4) : 'n/a'}`)}</title></circle>`);
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface BarGroup {
  lang: string;
  seen: boolean | undefined;
  /** One value (mean) and sd per series. */
  mean: number[];
  sd: number[];
}

/** Grouped bars per language (seen languages first, then unseen, with a divider), one colour per series. */
export function languageBarsSvg(title: string, yLabel: string, seriesNames: readonly string[], groups: readonly BarGroup[]): string {
  const seen = groups.filter((g) => g.seen !== false);
  const unseen = groups.filter((g) => g.seen === false);
  const ordered = [...seen, ...unseen];
  const bw = 7;
  const gw = seriesNames.length * bw + 10;
  const L = 60;
  const T = 60;
  const Hp = 230;
  // wide enough for the bars, the four-column legend and the title
  const W = Math.max(L + ordered.length * gw + 30, L + 4 * 190, title.length * 8.5 + 30);
  const B = T + Hp;
  const H = B + 70 + Math.ceil(seriesNames.length / 4) * 16;
  const vals = groups.flatMap((g) => g.mean.map((m, i) => m + (Number.isFinite(g.sd[i]!) ? g.sd[i]! : 0))).filter(Number.isFinite);
  const hi = Math.max(1e-9, ...vals) * 1.05;
  const sy = (y: number) => B - (Math.max(0, y) / hi) * Hp;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`, `<rect width="${W}" height="${H}" fill="#ffffff"/>`, `<text x="14" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`];
  out.push(`<text x="14" y="${T + Hp / 2}" font-size="11" transform="rotate(-90 14 ${T + Hp / 2})" text-anchor="middle" fill="#444">${esc(yLabel)}</text>`);
  for (const t of ticks(0, hi)) out.push(`<line x1="${L - 3}" y1="${sy(t)}" x2="${W - 20}" y2="${sy(t)}" stroke="#eee"/><text x="${L - 5}" y="${sy(t) + 3}" font-size="9" text-anchor="end">${fmtTick(t)}</text>`);
  out.push(`<line x1="${L}" y1="${B}" x2="${W - 20}" y2="${B}" stroke="#444"/>`);
  ordered.forEach((g, k) => {
    const gx = L + k * gw + 5;
    g.mean.forEach((m, i) => {
      if (!Number.isFinite(m)) return;
      const x = gx + i * bw;
      out.push(`<rect x="${x}" y="${sy(m)}" width="${bw - 1}" height="${B - sy(m)}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${g.lang} · ${seriesNames[i]}: ${m.toFixed(4)}`)}</title></rect>`);
      const s = g.sd[i]!;
      if (Number.isFinite(s) && s > 0) out.push(`<line x1="${x + bw / 2 - 0.5}" y1="${sy(m - s)}" x2="${x + bw / 2 - 0.5}" y2="${sy(m + s)}" stroke="#222" stroke-width="0.8"/>`);
    });
    out.push(`<text x="${gx + (gw - 10) / 2}" y="${B + 12}" font-size="9" text-anchor="middle">${esc(g.lang)}</text>`);
  });
  if (seen.length && unseen.length) {
    const dx = L + seen.length * gw + 2;
    out.push(`<line x1="${dx}" y1="${T - 10}" x2="${dx}" y2="${B + 18}" stroke="#000" stroke-dasharray="4 3"/>`);
  }
  if (seen.length) out.push(`<text x="${L + (seen.length * gw) / 2}" y="${T - 14}" font-size="11" text-anchor="middle" fill="#444">${unseen.length || groups.some((g) => g.seen === true) ? 'seen in training' : ''}</text>`);
  if (unseen.length) out.push(`<text x="${L + seen.length * gw + (unseen.length * gw) / 2}" y="${T - 14}" font-size="11" text-anchor="middle" fill="#444">unseen in training</text>`);
  seriesNames.forEach((n, i) => {
    const x = L + (i % 4) * 190;
    const y = B + 36 + Math.floor(i / 4) * 16;
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="${y}" font-size="10">${esc(n)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
