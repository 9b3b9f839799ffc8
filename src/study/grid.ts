/**
 * Grid expansion: the product of the grid's value lists, in config order (the first key varies slowest, so a
 * study listed as `alpha: [...]` then `seed: [...]` finishes every seed of a point before the next point).
 */
import type { StudyConfig } from './config.js';
import { setValue } from './config.js';

export type GridValue = string | number | boolean | null;

export interface GridRun {
  /** Folder name under DIR/runs: `alpha-0.5_seed-1`. */
  name: string;
  /** Grid key → value. */
  overrides: Record<string, GridValue>;
  /** The grid point (every grid key but the seed key), as a stable key and a display label. */
  point: string;
  /** `--set` assignments for the trainer: the fixed overrides, then this run's grid values. */
  sets: string[];
}

const seg = (key: string) => key.split('.').at(-1)!;

const fmt = (v: GridValue) => String(v).replace(/[^A-Za-z0-9.+-]+/g, '-');

/** The short names of the grid keys: their last path segment, or the whole path where two keys share one. */
function shortNames(keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of keys) {
    const s = seg(k);
    const clash = keys.filter((x) => seg(x) === s).length > 1;
    out.set(k, clash ? k.replace(/\./g, '-') : s);
  }
  return out;
}

export function expandGrid(c: StudyConfig): GridRun[] {
  const keys = Object.keys(c.grid);
  const short = shortNames(keys);
  let combos: Record<string, GridValue>[] = [{}];
  for (const k of keys) {
    const next: Record<string, GridValue>[] = [];
    for (const combo of combos) for (const v of c.grid[k]!) next.push({ ...combo, [k]: v as GridValue });
    combos = next;
  }
  const fixed = Object.entries(c.set).map(([k, v]) => `${k}=${setValue(v)}`);
  const runs = combos.map((o) => ({
    name: keys.map((k) => `${short.get(k)}-${fmt(o[k]!)}`).join('_'),
    overrides: o,
    point: pointKey(o, c.seedKey),
    sets: [...fixed, ...keys.map((k) => `${k}=${setValue(o[k])}`)],
  }));
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.name)) throw new Error(`grid: two runs would share the folder '${r.name}' (a grid key lists the same value twice?)`);
    seen.add(r.name);
  }
  return runs;
}

/** A grid point's key: its non-seed overrides, e.g. `sampling.alpha=0.5` (empty string when the grid is only seeds). */
export function pointKey(o: Record<string, GridValue>, seedKey: string): string {
  return Object.entries(o)
    .filter(([k]) => k !== seedKey)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

/** The grid points in grid order, each with its runs (one per seed). */
export function gridPoints(runs: readonly GridRun[]): { point: string; runs: GridRun[] }[] {
  const out = new Map<string, GridRun[]>();
  for (const r of runs) out.set(r.point, [...(out.get(r.point) ?? []), r]);
  return [...out].map(([point, rs]) => ({ point, runs: rs }));
}
