/**
 * A heatmap of an X→Y matrix as hand-written SVG (no dependencies), values printed in the cells, colours from a
 * perceptually ordered ramp (viridis). `svgToPng` renders the same SVG with resvg for places that show no SVG.
 */
const VIRIDIS = ['#440154', '#482878', '#3e4a89', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

function hexToRgb(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

/** Colour for t in [0, 1], linearly interpolated between the ramp's stops. */
export function rampColor(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = hexToRgb(VIRIDIS[i]!);
  const b = hexToRgb(VIRIDIS[i + 1]!);
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface HeatmapOptions {
  title: string;
  rowLabel?: string;
  colLabel?: string;
  /** Colour scale range; default: the matrix's min and max. */
  min?: number;
  max?: number;
  /** Cell text (default: two decimals without the leading zero, for mAP). */
  format?: (v: number) => string;
}

export function heatmapSvg(rows: readonly string[], cols: readonly string[], values: readonly (readonly number[])[], opts: HeatmapOptions): string {
  const cell = 44;
  const left = 70;
  const top = 70;
  const legend = 70;
  const w = left + cols.length * cell + legend;
  const h = top + rows.length * cell + 30;
  const flat = values.flat().filter(Number.isFinite);
  const lo = opts.min ?? Math.min(...flat);
  const hi = opts.max ?? Math.max(...flat);
  const span = hi > lo ? hi - lo : 1;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="DejaVu Sans, Arial, sans-serif">`);
  out.push(`<rect width="${w}" height="${h}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
  out.push(`<text x="${left + (cols.length * cell) / 2}" y="44" font-size="11" text-anchor="middle" fill="#444">${esc(opts.colLabel ?? 'pool language')}</text>`);
  out.push(`<text x="14" y="${top + (rows.length * cell) / 2}" font-size="11" text-anchor="middle" fill="#444" transform="rotate(-90 14 ${top + (rows.length * cell) / 2})">${esc(opts.rowLabel ?? 'query language')}</text>`);
  cols.forEach((c, j) => out.push(`<text x="${left + j * cell + cell / 2}" y="${top - 8}" font-size="12" text-anchor="middle">${esc(c)}</text>`));
  rows.forEach((r, i) => {
    out.push(`<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" font-size="12" text-anchor="end">${esc(r)}</text>`);
    cols.forEach((_, j) => {
      const v = values[i]?.[j] ?? Number.NaN;
      const t = (v - lo) / span;
      const fill = Number.isFinite(v) ? rampColor(t) : '#dddddd';
      const x = left + j * cell;
      const y = top + i * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ffffff" stroke-width="1"><title>${esc(`${r} → ${cols[j]}: ${Number.isFinite(v) ? v.toFixed(4) : 'n/a'}`)}</title></rect>`);
      const text = Number.isFinite(v) ? (opts.format ? opts.format(v) : v.toFixed(2).replace(/^0\./, '.')) : '–';
      out.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" font-size="11" text-anchor="middle" fill="${t > 0.6 ? '#000000' : '#ffffff'}">${text}</text>`);
    });
  });
  // legend: a vertical ramp with min / max
  const lx = left + cols.length * cell + 20;
  const lh = rows.length * cell;
  for (let k = 0; k < 20; k++) {
    out.push(`<rect x="${lx}" y="${top + lh - ((k + 1) * lh) / 20}" width="14" height="${lh / 20 + 0.5}" fill="${rampColor(k / 19)}"/>`);
  }
  const label = (v: number): string => (opts.format ? opts.format(v) : v.toFixed(3));
  out.push(`<text x="${lx + 18}" y="${top + 10}" font-size="10">${label(hi)}</text>`);
  out.push(`<text x="${lx + 18}" y="${top + lh}" font-size="10">${label(lo)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Renders SVG to PNG with @resvg/resvg-js (system fonts for the labels), at `scale` × the SVG's size. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const width = Number(/width="(\d+)"/.exec(svg)?.[1] ?? 600);
  const r = new Resvg(svg, { fitTo: { mode: 'width', value: width * scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return r.render().asPng();
}
