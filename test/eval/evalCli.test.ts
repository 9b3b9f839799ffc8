import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, hasData, dataDir } from '../../src/util/dataDir.js';
import { loadLareqa } from '../../src/eval/tasks/lareqaData.js';
import { loadMiraclDev } from '../../src/eval/tasks/miracl.js';
import { writeEmbeddings } from '../../src/eval/embeddings.js';
import type { EvalResults } from '../../src/eval/results.js';

const bin = join(projectRoot(), 'bin', 'polyret.js');
const dir = mkdtempSync(join(tmpdir(), 'polyret-evalcli-'));
const polyret = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

test('eval --embeddings on XQuAD-R (3 languages) and report with heatmaps and paired tests', { skip: !hasData('xquad-r', 'en.json') && 'no shared data' }, () => {
  const langs = ['en', 'de', 'zh'];
  const ds = loadLareqa('xquad-r', langs);
  const dim = 16;
  const rnd = lcg(9);
  const cands = ds.languages.flatMap((l) => l.candidates);
  const cvec = new Float32Array(cands.length * dim).map(() => rnd());
  const cIndex = new Map(cands.map((c, i) => [c.id, i]));
  // system "noise": random questions; system "signal": each question = its English answer sentence's vector + noise
  const enAnswer = new Map(ds.languages[0]!.questions.map((q) => [q.qid, ds.languages[0]!.candidates[q.answers[0]!]!.id]));
  for (const [name, signal] of [['noise', 0], ['signal', 1]] as const) {
    const ids: string[] = cands.map((c) => c.id);
    const rows: number[] = Array.from(cvec);
    for (const l of ds.languages) {
      for (const q of l.questions) {
        ids.push(q.id);
        const a = cIndex.get(enAnswer.get(q.qid)!)!;
        for (let d = 0; d < dim; d++) rows.push(signal * cvec[a * dim + d]! + rnd());
      }
    }
    writeEmbeddings(join(dir, `${name}.safetensors`), ids, Float32Array.from(rows), dim);
    const r = polyret('eval', '--task', 'xquad-r', '--lang', 'en,de,zh', '--embeddings', join(dir, `${name}.safetensors`), '--out', join(dir, `${name}.json`), '--map-at', '20');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Mo\.\s+3/);
    assert.match(r.stdout, /Cr\.\s+6/);
  }
  const res = JSON.parse(readFileSync(join(dir, 'signal.json'), 'utf8')) as EvalResults;
  assert.equal(res.format, 'polyret-eval-results');
  assert.deepEqual(Object.keys(res.data.sha256).sort(), ['xquad-r/de.json', 'xquad-r/en.json', 'xquad-r/zh.json']);
  assert.match(Object.values(res.model.sha256)[0]!, /^[0-9a-f]{64}$/);
  assert.equal(res.lareqa!.settings.length, 12);
  for (const s of res.lareqa!.settings) assert.equal(s.perQuery.values.mAP!.length, 1190);
  // → en pools hold the answer vector: far above chance (inner products also favour long candidates)
  const enen = res.lareqa!.settings.find((s) => s.query === 'de' && s.pool === 'en')!;
  assert.ok(enen.metrics.mAP! > 0.3 && enen.metrics['R@10']! > 0.5, JSON.stringify(enen.metrics));
  assert.ok('mAP@20' in enen.metrics);

  const out = join(dir, 'report');
  const rep = polyret('report', join(dir, 'noise.json'), join(dir, 'signal.json'), '--out', out, '--samples', '2000');
  assert.equal(rep.status, 0, rep.stderr);
  for (const f of ['report.md', 'summary.csv', 'heatmap-signal.svg', 'heatmap-signal.png', 'matrix-noise.csv']) assert.ok(existsSync(join(out, f)), f);
  const png = readFileSync(join(out, 'heatmap-signal.png'));
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const svg = readFileSync(join(out, 'heatmap-signal.svg'), 'utf8');
  assert.equal((svg.match(/<rect x="\d+" y="\d+" width="44"/g) ?? []).length, 9);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /## Comparison with noise/);
  assert.match(md, /\| signal \| .*p=<\.001/);
  const csv = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
  const crossMap = csv.find((l) => l.startsWith('signal,Cr.,mAP,'))!.split(',');
  assert.ok(Number(crossMap[4]) > 0.1 && Number(crossMap[5]) < 0.001 && Number(crossMap[6]) < 0.001, crossMap.join(','));
});

test('eval --model encodes in-process and equals export-texts → polyret encode → eval --embeddings; bad flags are usage errors', { skip: !hasData('mlqa-r', 'en.json') && 'no shared data' }, () => {
  const model = join(projectRoot(), 'test', 'fixtures', 'models', 'tiny-labse');
  const common = ['--task', 'mlqa-r', '--lang', 'de,hi'];
  // Batches of one text: the same text then meets the same kernels on both paths, so vectors are bit-identical
  // (batch composition changes padding, hence float rounding, which matters where a tiny model ties scores).
  const direct = polyret('eval', ...common, '--model', model, '--batch-size', '1', '--out', join(dir, 'direct.json'));
  assert.equal(direct.status, 0, direct.stderr);
  const exp = polyret('eval', ...common, '--export-texts', join(dir, 'texts.jsonl'));
  assert.equal(exp.status, 0, exp.stderr);
  const enc = polyret('encode', '--model', model, '--batch-size', '1', '--input', join(dir, 'texts.jsonl'), '--output', join(dir, 'emb.safetensors'));
  assert.equal(enc.status, 0, enc.stderr);
  // The folder declares cosine (similarity_fn_name), which --model follows by default; an embeddings file declares
  // nothing (inner product by default), so the file path is told the same similarity.
  const viaFile = polyret('eval', ...common, '--embeddings', join(dir, 'emb.safetensors'), '--similarity', 'cosine', '--out', join(dir, 'file.json'));
  assert.equal(viaFile.status, 0, viaFile.stderr);
  const a = JSON.parse(readFileSync(join(dir, 'direct.json'), 'utf8')) as EvalResults;
  const b = JSON.parse(readFileSync(join(dir, 'file.json'), 'utf8')) as EvalResults;
  assert.ok(a.lareqa && b.lareqa);
  assert.equal(a.config.similarity, 'cosine');
  assert.equal(b.config.similarity, 'cosine');
  assert.deepEqual(a.lareqa.summary, b.lareqa.summary);
  assert.deepEqual(a.lareqa.matrix, b.lareqa.matrix);
  assert.deepEqual(a.lareqa.rankDistance, b.lareqa.rankDistance);
  assert.equal(polyret('eval', '--task', 'mlqa-r', '--model', join(dir, 'no-such-model')).status, 1);
  assert.equal(polyret('eval', '--task', 'nope', '--embeddings', 'x').status, 2);
  assert.equal(polyret('eval', '--task', 'xquad-r').status, 2);
});

test('MIRACL (yo dev): streamed exact search, TREC run file, nDCG@10/R@100 equal polyret score on the written run', { skip: !hasData('miracl', 'dev') && 'no shared data' }, () => {
  const topics = loadMiraclDev('yo');
  assert.equal(topics.topics.size, 119);
  const dim = 8;
  const rnd = lcg(3);
  const docs = new Set<string>();
  for (const q of topics.qrels.values()) for (const d of q.keys()) docs.add(d);
  for (let i = 0; i < 3000; i++) docs.add(`x${i}#0`);
  const docIds = [...docs];
  const dvec = new Float32Array(docIds.length * dim).map(() => rnd());
  const dIndex = new Map(docIds.map((d, i) => [d, i]));
  const ids = docIds.map((d) => `d/${d}`);
  const rows = Array.from(dvec);
  for (const [qid, q] of topics.qrels) {
    ids.push(`q/${qid}`);
    const rel = [...q].find(([, g]) => g > 0)?.[0];
    for (let d = 0; d < dim; d++) rows.push((rel ? dvec[dIndex.get(rel)! * dim + d]! : 0) + 0.6 * rnd());
  }
  const emb = join(dir, 'miracl-yo.safetensors');
  writeEmbeddings(emb, ids, Float32Array.from(rows), dim);
  const runDir = join(dir, 'runs');
  const r = polyret('eval', '--task', 'miracl', '--lang', 'yo', '--embeddings', emb, '--run-dir', runDir, '--out', join(dir, 'miracl.json'), '--name', 'toy');
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(join(dir, 'miracl.json'), 'utf8')) as EvalResults;
  const yo = res.miracl!.perLanguage.yo!;
  assert.equal(yo.numQueries, 119);
  const runFile = join(runDir, 'run.miracl-v1.0-yo-dev.toy.txt');
  const lines = readFileSync(runFile, 'utf8').trim().split('\n');
  assert.equal(lines.length, 119 * 100);
  const qrels = join(dataDir(), 'miracl', 'dev', 'qrels.miracl-v1.0-yo-dev.tsv');
  const s = JSON.parse(polyret('score', '--qrels', qrels, '--run', runFile, '-m', 'nDCG@10', '-m', 'R@100', '--complete', '--json').stdout);
  assert.ok(Math.abs(s.metrics['nDCG@10'] - yo.metrics['nDCG@10']!) < 1e-9);
  assert.ok(Math.abs(s.metrics['R@100'] - yo.metrics['R@100']!) < 1e-9);
  assert.ok(yo.metrics['nDCG@10']! > 0.05 && yo.metrics['nDCG@10']! < 1, String(yo.metrics['nDCG@10']));
});
