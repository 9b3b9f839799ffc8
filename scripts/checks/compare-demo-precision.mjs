#!/usr/bin/env node
// Compares two `polyret demo` runs that differ only in precision (fp32 against bf16): validation loss at every
// evaluation step, the training loss (EMA) every 40 steps, the best step, the zero-shot MLQA-R table after training
// and the wall time; writes the four curves on one chart (SVG and PNG) and the tables as markdown. Used for
// docs/training.md#bf16-on-the-cpu. Reads the runs' metrics.jsonl and their "after" retrieval results; exits 2 on
// bad input.
//   node scripts/checks/compare-demo-precision.mjs --fp32 runs/demo-fp32 --bf16 runs/demo-bf16 --out DIR [--title T] [--name STEM]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lineChartSvg } from '../../dist/src/train/curves.js';
import { svgToPng } from '../../dist/src/eval/report/heatmap.js';

const usage = 'usage: node scripts/checks/compare-demo-precision.mjs --fp32 DIR --bf16 DIR --out DIR [--title T] [--name STEM]';
let values;
try {
  ({ values } = parseArgs({ options: { fp32: { type: 'string' }, bf16: { type: 'string' }, out: { type: 'string' }, title: { type: 'string' }, name: { type: 'string', default: 'demo-precision' } } }));
} catch (e) {
  process.stderr.write(`${e.message}\n${usage}\n`);
  process.exit(2);
}
if (!values.fp32 || !values.bf16 || !values.out) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const fail = (m) => {
  process.stderr.write(`${m}\n`);
  process.exit(2);
};

function loadRun(dir, label) {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) fail(`${path}: not found (expected a finished polyret demo run)`);
  const recs = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      return fail(`${path}:${i + 1}: not JSON (${e.message})`);
    }
  });
  const summary = recs.find((r) => r.kind === 'summary');
  if (!summary) fail(`${path}: no summary record (the run did not finish)`);
  const after = recs.filter((r) => r.kind === 'retrieval' && r.label === 'after').pop();
  if (!after?.file || !existsSync(after.file)) fail(`${path}: no "after" retrieval results file`);
  const results = JSON.parse(readFileSync(after.file, 'utf8'));
  if (!results.summary?.mono || !results.rankDistance) fail(`${after.file}: no summary.mono or rankDistance (expected LAReQA results)`);
  const train = recs.filter((r) => r.kind === 'train' && Number.isFinite(r.loss));
  let e = Number.NaN;
  const ema = train.map((r) => [r.step, (e = Number.isNaN(e) ? r.loss : 0.95 * e + 0.05 * r.loss)]);
  const val = recs.filter((r) => r.kind === 'validation' && Number.isFinite(r.loss)).map((r) => [r.step, r.loss]);
  return { label, summary, results, ema, val };
}

const runs = [loadRun(values.fp32, 'fp32'), loadRun(values.bf16, 'bf16')];
const [a, b] = runs;
const fmt = (x, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const lines = [];
const valSteps = [...new Set(runs.flatMap((r) => r.val.map(([s]) => s)))].sort((x, y) => x - y);
const at = (series, s) => series.find(([t]) => t === s)?.[1];
lines.push('| step | ' + valSteps.join(' | ') + ' |', '|---|' + valSteps.map(() => '---').join('|') + '|');
for (const r of runs) lines.push(`| validation loss, ${r.label} | ` + valSteps.map((s) => fmt(at(r.val, s))).join(' | ') + ' |');
lines.push('');
const emaSteps = a.ema.map(([s]) => s).filter((s) => s % 40 === 0 || s === a.ema.at(-1)[0]);
lines.push('| step | ' + emaSteps.join(' | ') + ' |', '|---|' + emaSteps.map(() => '---').join('|') + '|');
for (const r of runs) lines.push(`| training loss (EMA 0.95), ${r.label} | ` + emaSteps.map((s) => fmt(at(r.ema, s))).join(' | ') + ' |');
lines.push('');
lines.push('| precision | best val. step | best val. loss | Mo. mAP | Cr. mAP | Mul. mAP | rank dist. | training time |', '|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  const m = (k) => fmt(r.results.summary[k].metrics.mAP);
  lines.push(`| ${r.label} | ${r.summary.bestStep ?? '—'} | ${fmt(r.summary.bestValidationLoss)} | ${m('mono')} | ${m('cross')} | ${m('multi')} | ${r.results.rankDistance.macro.toFixed(1)} | ${fmt(r.summary.seconds / 60, 1)} min |`);
}
const md = lines.join('\n') + '\n';
const svg = lineChartSvg(
  [
    { name: 'fp32 train loss (EMA)', color: '#2171b5', points: a.ema },
    { name: 'bf16 train loss (EMA)', color: '#d94801', points: b.ema, dashed: true },
    { name: 'fp32 validation loss', color: '#08306b', points: a.val },
    { name: 'bf16 validation loss', color: '#7f2704', points: b.val, dashed: true },
  ],
  { title: values.title ?? 'polyret demo: fp32 against bf16 (same seed, same batches)', yLabel: 'InfoNCE loss' },
);
mkdirSync(values.out, { recursive: true });
const stem = join(values.out, values.name);
writeFileSync(`${stem}.md`, md);
writeFileSync(`${stem}.svg`, svg);
writeFileSync(`${stem}.png`, await svgToPng(svg));
process.stdout.write(md);
process.stdout.write(`wrote ${stem}.{md,svg,png}\n`);
