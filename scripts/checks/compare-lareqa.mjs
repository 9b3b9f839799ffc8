#!/usr/bin/env node
// Compares two LAReQA results files (polyret eval --task xquad-r|mlqa-r) setting by setting: every X→Y setting's
// mAP, R@1, R@10 and the Mo./Cr./Mul. averages, plus rank distance. Exits 1 when a mAP (a setting's or an
// average's) differs by more than --tol (default 1e-4), 2 on bad input. Used by onnx-demo-mlqa.sh to check that
// an exported model scores as the libtorch one does.
//   node scripts/checks/compare-lareqa.mjs A.json B.json [--tol 1e-4]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let tol = 1e-4;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--tol') tol = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length !== 2 || !(tol >= 0)) {
  process.stderr.write('usage: node scripts/checks/compare-lareqa.mjs A.json B.json [--tol 1e-4]\n');
  process.exit(2);
}
const load = (f) => {
  let j;
  try {
    j = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    process.stderr.write(`${f}: cannot read a results JSON (${e.message})\n`);
    process.exit(2);
  }
  if (!j.lareqa?.settings) {
    process.stderr.write(`${f}: no lareqa.settings (expected polyret eval --task xquad-r|mlqa-r results)\n`);
    process.exit(2);
  }
  return j.lareqa;
};
const [a, b] = files.map(load);
if (a.settings.length !== b.settings.length) {
  process.stderr.write(`${files[0]} has ${a.settings.length} settings, ${files[1]} ${b.settings.length}\n`);
  process.exit(2);
}
let worst = 0;
let where = '';
a.settings.forEach((x, i) => {
  const y = b.settings[i];
  if (x.kind !== y.kind || x.query !== y.query || x.pool !== y.pool) {
    process.stderr.write(`setting ${i}: ${x.kind} ${x.query}→${x.pool} against ${y.kind} ${y.query}→${y.pool}\n`);
    process.exit(2);
  }
  const d = Math.abs(x.metrics.mAP - y.metrics.mAP);
  if (d > worst) {
    worst = d;
    where = `${x.query}→${x.pool}`;
  }
});
const rows = [];
for (const k of Object.keys(a.summary)) {
  for (const [m, v] of Object.entries(a.summary[k].metrics)) {
    if (typeof v !== 'number') continue;
    const w = b.summary[k].metrics[m];
    const d = Math.abs(v - w);
    if (m === 'mAP' && d > worst) {
      worst = d;
      where = `${k} average`;
    }
    rows.push(`${k.padEnd(6)} ${m.padEnd(13)} ${v.toFixed(6).padStart(13)} ${w.toFixed(6).padStart(13)}  Δ ${d.toExponential(2)}`);
  }
}
process.stdout.write(`${a.settings.length} settings; largest |ΔmAP| ${worst.toExponential(2)} (${where || 'none'}), tolerance ${tol}\n${rows.join('\n')}\n`);
process.exit(worst <= tol ? 0 : 1);
