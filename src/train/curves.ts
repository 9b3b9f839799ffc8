import type { MetricsRecord } from './metricsLog.js';

export interface CurveSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Tick values for [lo, hi]: about five round numbers (1, 2 or 5 × 10^k apart). */
function ticks(lo: number, hi: number): number[] {
  const span = hi - lo || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A line chart (SVG) of several series against the optimizer step. */
export function lineChartSvg(series: readonly CurveSeries[], opts: { title: string; yLabel: string; width?: number; height?: number }): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 400;
  const m = { left: 64, right: 20, top: 44, bottom: 48 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(1, ...xs);
  let y0 = ys.length ? Math.min(...ys) : 0;
  let y1 = ys.length ? Math.max(...ys) : 1;
  const pad = (y1 - y0 || 1) * 0.05;
  y0 -= pad;
  y1 += pad;
  const px = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * (W - m.left - m.right);
  const py = (y: number): number => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" font-size="12">${t}</text>`);
  }
  for (const t of ticks(x0, x1)) {
    parts.push(`<text x="${px(t).toFixed(1)}" y="${H - m.bottom + 18}" text-anchor="middle" font-size="12">${t}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 10}" text-anchor="middle" font-size="13">step</text>`);
  parts.push(`<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="13">${esc(opts.yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length) {
      const d = pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
      if (pts.length <= 60) for (const p of pts) parts.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const ly = m.top + 16 + i * 18;
    parts.push(`<line x1="${W - m.right - 170}" x2="${W - m.right - 146}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${W - m.right - 140}" y="${ly}" font-size="12">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * The training curves of a run from its metrics log: the training loss (raw, and an exponential moving average
 * over about 20 steps, since single batches are noisy — mono and cross batches differ a lot) and the validation loss.
 */
export function trainingCurvesSvg(records: readonly MetricsRecord[], title = 'training curves'): string {
  const train = records.filter((r) => r.kind === 'train' && typeof r.loss === 'number').map((r) => [r.step, r.loss as number] as [number, number]);
  const val = records.filter((r) => r.kind === 'validation' && typeof r.loss === 'number').map((r) => [r.step, r.loss as number] as [number, number]);
  const ema: Array<[number, number]> = [];
  let e = Number.NaN;
  for (const [s, l] of train) {
    if (!Number.isFinite(l)) continue;
    e = Number.isNaN(e) ? l : 0.95 * e + 0.05 * l;
    ema.push([s, e]);
  }
  return lineChartSvg(
    [
      { name: 'train loss', color: '#c6dbef', points: train },
      { name: 'train loss (EMA)', color: '#2171b5', points: ema },
      { name: 'validation loss', color: '#d94801', points: val },
    ],
    { title, yLabel: 'InfoNCE loss' },
  );
}
