import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { projectRoot, hasData, dataDir } from '../../src/util/dataDir.js';
import { writeEmbeddings } from '../../src/eval/embeddings.js';
import { loadBeirFolder, parseBeirQrels } from '../../src/eval/tasks/beir.js';
import { readCorpus } from '../../src/eval/tasks/beirCorpus.js';
import { writeTrainingLanguages } from '../../src/models/trainingLanguages.js';
import type { EvalResults } from '../../src/eval/results.js';

const root = projectRoot();
const bin = join(root, 'bin', 'polyret.js');
const dir = mkdtempSync(join(tmpdir(), 'polyret-beir-'));
const polyret = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, POLYRET_NO_PROGRESS: '1' } });

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** A small BEIR folder: 300 documents, 40 queries (35 judged, graded 1–2), one document sharing its id with a query. */
function makeBeirFolder(name: string, split: string) {
  const folder = join(dir, name);
  mkdirSync(join(folder, 'qrels'), { recursive: true });
  const docs = Array.from({ length: 300 }, (_, i) => ({ _id: i === 7 ? 'q3' : `doc${i}`, title: i % 3 ? `T${i}` : '', text: `text ${i}` }));
  writeFileSync(join(folder, 'corpus.jsonl.gz'), gzipSync(docs.map((d) => JSON.stringify(d)).join('\n')));
  const queries = Array.from({ length: 40 }, (_, i) => ({ _id: `q${i}`, text: `query ${i}`, metadata: {} }));
  writeFileSync(join(folder, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
  const rnd = lcg(5);
  const qrels: string[] = ['query-id\tcorpus-id\tscore'];
  for (let i = 0; i < 35; i++) {
    const rel = new Set<string>();
    for (let j = 0; j < 1 + (i % 3); j++) rel.add(docs[Math.floor((rnd() + 0.5) * 300)]!._id);
    rel.delete(`q${i}`);
    if (rel.size === 0) rel.add('doc1');
    [...rel].forEach((d, j) => qrels.push(`q${i}\t${d}\t${j === 0 ? 2 : 1}`));
    if (i % 5 === 0) qrels.push(`q${i}\tdoc299\t0`);
  }
  writeFileSync(join(folder, 'qrels', `${split}.tsv`), qrels.join('\n') + '\n');
  return { folder, docs, queries };
}

test('beir on a BEIR folder with --embeddings: exact top-k, the run file scores the same under polyret score, identical ids dropped', () => {
  const { folder, docs, queries } = makeBeirFolder('toy', 'test');
  const ds = loadBeirFolder(folder, 'test');
  assert.equal(ds.queries.size, 35); // unjudged queries are dropped, as BEIR's loader drops them
  assert.deepEqual(ds.defaultMetrics, ['nDCG@10', 'R@100']);
  const dim = 8;
  const rnd = lcg(11);
  const dvec = docs.map(() => Array.from({ length: dim }, () => rnd()));
  const ids = docs.map((d) => `d/${d._id}`);
  const rows = dvec.flat();
  const docIndex = new Map(docs.map((d, i) => [d._id, i]));
  for (const q of queries) {
    ids.push(`q/${q._id}`);
    const rel = ds.qrels.get(q._id);
    const first = rel ? [...rel.keys()][0]! : 'doc0';
    // q3 is made identical to the document with id 'q3', which BEIR must not count
    const base = q._id === 'q3' ? dvec[7]! : dvec[docIndex.get(first)!]!;
    for (let d = 0; d < dim; d++) rows.push(q._id === 'q3' ? base[d]! : base[d]! + 0.8 * rnd());
  }
  const emb = join(dir, 'toy.safetensors');
  writeEmbeddings(emb, ids, Float32Array.from(rows), dim);
  const out = join(dir, 'toy.json');
  const r = polyret('eval', '--task', 'beir', '--dataset', folder, '--embeddings', emb, '--out', out, '--name', 'toy run', '-m', 'nDCG@10', '-m', 'R@100', '-m', 'RR@10', '-m', 'AP', '--k', '120');
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(out, 'utf8')) as EvalResults;
  const b = res.beir!;
  assert.equal(res.task, 'beir');
  assert.equal(b.dataset, 'toy-test');
  assert.equal(b.numQueries, 35);
  assert.equal(b.perQuery.qids.length, 35);
  assert.equal(b.k, 120);
  assert.equal(b.corpus.source, 'embeddings');
  assert.equal(b.corpus.documents, 300);
  assert.equal(b.runFile, join(dir, 'run.toy-test.toy_run.txt'));
  const lines = readFileSync(b.runFile!, 'utf8').trim().split('\n');
  const perQ = new Map<string, string[]>();
  for (const l of lines) {
    const [q, , d] = l.split(' ');
    perQ.set(q!, [...(perQ.get(q!) ?? []), d!]);
  }
  assert.equal(perQ.get('q3')!.length, 119);
  assert.ok(!perQ.get('q3')!.includes('q3'));
  assert.equal(perQ.get('q1')!.length, 120);
  const qrels = join(folder, 'qrels', 'test.tsv');
  // polyret score reads TREC qrels: write the BEIR judgements in that layout
  const trecQrels = join(dir, 'toy.qrels');
  writeFileSync(trecQrels, readFileSync(qrels, 'utf8').trim().split('\n').slice(1).map((l) => l.replace(/\t/, ' 0 ').replace(/\t/, ' ')).join('\n') + '\n');
  const s = JSON.parse(polyret('score', '--qrels', trecQrels, '--run', b.runFile!, '-m', 'nDCG@10', '-m', 'R@100', '-m', 'RR@10', '-m', 'AP', '--complete', '--json', '--per-query').stdout) as {
    metrics: Record<string, number>;
    perQuery: Record<string, Record<string, number>>;
  };
  for (const m of ['nDCG@10', 'R@100', 'RR@10', 'AP']) {
    assert.ok(Math.abs(s.metrics[m]! - b.metrics[m]!) < 1e-12, `${m}: ${s.metrics[m]} vs ${b.metrics[m]}`);
    b.perQuery.qids.forEach((q, i) => assert.ok(Math.abs(s.perQuery[q]![m]! - b.perQuery.values[m]![i]!) < 1e-12, `${m} ${q}`));
  }
  assert.ok(b.metrics['nDCG@10']! > 0.3 && b.metrics['nDCG@10']! < 1, String(b.metrics['nDCG@10']));
  // keeping identical ids puts q3's own document first; it is unjudged, so q3's RR@10 can only fall
  const keep = polyret('eval', '--task', 'beir', '--dataset', folder, '--embeddings', emb, '--out', join(dir, 'keep.json'), '--keep-identical-ids', '--run-dir', join(dir, 'keep'), '-m', 'nDCG@10', '-m', 'R@100', '-m', 'RR@10', '-m', 'AP', '--k', '120');
  assert.equal(keep.status, 0, keep.stderr);
  const kr = JSON.parse(readFileSync(join(dir, 'keep.json'), 'utf8')) as EvalResults;
  assert.match(readFileSync(kr.beir!.runFile!, 'utf8'), /^q3 Q0 q3 1 /m);
  const q3 = (x: EvalResults) => x.beir!.perQuery.values['RR@10']![x.beir!.perQuery.qids.indexOf('q3')]!;
  assert.ok(q3(kr) <= q3(res));

  const rep = polyret('report', out, join(dir, 'keep.json'), '--out', join(dir, 'report'), '--samples', '500');
  assert.equal(rep.status, 0, rep.stderr);
  assert.match(readFileSync(join(dir, 'report', 'report.md'), 'utf8'), /\| toy-test \| en \| 35 \|/);
});

test('beir: MS MARCO-style dev sets default to RR@10; bad files and a missing corpus are clear errors', async () => {
  const { folder } = makeBeirFolder('msmarco-mini', 'dev');
  assert.deepEqual(loadBeirFolder(folder, 'dev').defaultMetrics, ['RR@10', 'nDCG@10', 'R@100']);
  assert.throws(() => loadBeirFolder(folder, 'test'), /qrels\/test\.tsv/);
  assert.throws(() => parseBeirQrels('query-id\tcorpus-id\tscore\nq1\td1\n', 'x.tsv'), /x\.tsv:2: expected 'query-id<TAB>corpus-id<TAB>score'/);
  assert.throws(() => parseBeirQrels('q1\td1\tx\n', 'x.tsv'), /x\.tsv:1: score 'x' is not an integer/);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"_id": "a", "text": "t"}\n{"title": "no id", "text": "t"}\n');
  await assert.rejects(async () => {
    for await (const _ of readCorpus(bad)) void _;
  }, /bad\.jsonl:2: expected a document id in field '_id', 'docid' or 'id'/);
  const model = join(root, 'test', 'fixtures', 'models', 'tiny-labse');
  const r = polyret('eval', '--task', 'beir', '--dataset', 'mrtydi', '--lang', 'sw', '--model', model, '--out', join(dir, 'x.json'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no corpus to search; supply the Mr\.TyDi sw passages with --corpus FILE/);
  assert.equal(polyret('eval', '--task', 'beir', '--model', model).status, 2);
  assert.equal(polyret('eval', '--task', 'beir', '--dataset', folder, '--model', model, '-m', 'RR@x').status, 2);
});

test('beir --dataset mrtydi end to end on the sample docs with a model: run file scores equal polyret score; seen / unseen', { skip: !hasData('mrtydi') && 'no shared data' }, () => {
  const model = join(dir, 'model');
  cpSync(join(root, 'test', 'fixtures', 'models', 'tiny-labse'), model, { recursive: true });
  writeTrainingLanguages(model, ['en', 'th']);
  const corpus = join(dataDir(), 'mrtydi', 'sample_docs', 'th.corpus.jsonl.gz');
  const out = join(dir, 'mrtydi-th.json');
  const r = polyret('eval', '--task', 'beir', '--dataset', 'mrtydi', '--lang', 'th', '--split', 'test', '--model', model, '--corpus', corpus, '--out', out, '--batch-size', '128');
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(readFileSync(out, 'utf8')) as EvalResults;
  const b = res.beir!;
  assert.equal(b.dataset, 'mrtydi-v1.1-th-test');
  assert.deepEqual(Object.keys(b.metrics), ['nDCG@10', 'R@100', 'RR@100']);
  assert.equal(b.corpus.source, 'file');
  assert.equal(b.corpus.documents, 4);
  assert.equal(b.numQueries, 1190);
  const runLines = readFileSync(b.runFile!, 'utf8').trim().split('\n');
  assert.equal(runLines.length, 1190 * 4);
  const qrels = join(dataDir(), 'mrtydi', 'qrels.mrtydi-v1.1-th.test.txt');
  const s = JSON.parse(polyret('score', '--qrels', qrels, '--run', b.runFile!, '-m', 'nDCG@10', '-m', 'R@100', '-m', 'RR@100', '--complete', '--json').stdout) as { metrics: Record<string, number> };
  for (const m of ['nDCG@10', 'R@100', 'RR@100']) assert.ok(Math.abs(s.metrics[m]! - b.metrics[m]!) < 1e-12, m);
  // one judged passage of th test is among the 4 sample docs: its query finds it within 4, so R@100 = 1/1190 exactly
  assert.ok(Math.abs(b.metrics['R@100']! - 1 / 1190) < 1e-12, String(b.metrics['R@100']));
  assert.deepEqual(res.seenUnseen!.groups.languages!.seen!.items, ['th']);
  assert.equal(res.seenUnseen!.groups.languages!.unseen, null);
  assert.ok(Object.keys(res.data.sha256).some((k) => k.startsWith('corpus:')));
});

test('XOR-TyDi token-budget answer recall: tokens, budget cut, substring match (hand-computed)', async () => {
  const { xorTokens, answerInTokenBudget, passageHasAnswer } = await import('../../src/eval/tasks/xorTydi.js');
  assert.deepEqual(xorTokens("Portland, Oregon's 1,000 people (est.)"), ['Portland', ',', "Oregon's", '1,000', 'people', '(', 'est', '.', ')']);
  const ranked = ['a b c d', 'e f Portland , Oregon', 'x'];
  assert.equal(answerInTokenBudget(['Portland'], ranked, 4), 0); // only 'a b c d' fits
  assert.equal(answerInTokenBudget(['Portland'], ranked, 7), 1);
  assert.equal(answerInTokenBudget(['f Portland'], ranked, 7), 1); // the budget spans passages, joined by spaces
  assert.equal(answerInTokenBudget(['portland'], ranked, 100), 0); // case-sensitive, as the official script
  assert.equal(passageHasAnswer(['Portland, Oregon'], 'in Portland, Oregon.'), true); // answers are tokenized too
  assert.equal(passageHasAnswer(['Port'], 'in Portland, Oregon.'), false); // whole tokens only
  assert.equal(answerInTokenBudget(['e f'], ranked, 100), 1);
});

test('beir --dataset xor-tydi with --embeddings and a DPR TSV corpus: answers judge the run, trec metrics equal polyret score on the written files', { skip: !hasData('xor_tydi') && 'no shared data' }, async () => {
  const { loadXorTydiDev } = await import('../../src/eval/tasks/xorTydi.js');
  const ds = loadXorTydiDev('te', dataDir());
  const qids = [...ds.queries.keys()];
  assert.equal(qids.length, 238); // te has no yes/no-only question (182 of the 2,110 dev questions are, and are dropped)
  // one passage per question holding its first answer (even questions only), plus 200 distractors
  const rows: string[] = ['id\ttext\ttitle'];
  const docs: string[] = [];
  qids.forEach((q, i) => {
    if (i % 2 === 0) {
      docs.push(`p${i}`);
      rows.push(`p${i}\t"The answer is ${ds.answers!.get(q)![0]!.replace(/"/g, '""')} indeed."\tT${i}`);
    }
  });
  for (let j = 0; j < 200; j++) {
    docs.push(`n${j}`);
    rows.push(`n${j}\tnothing to see here ${j}\tN${j}`);
  }
  const corpus = join(dir, 'xor-en.tsv');
  writeFileSync(corpus, rows.join('\n') + '\n');
  const dim = 8;
  const rnd = lcg(21);
  const dvec = new Map(docs.map((d) => [d, Array.from({ length: dim }, () => rnd())]));
  const ids = docs.map((d) => `d/${d}`);
  const flat = docs.flatMap((d) => dvec.get(d)!);
  qids.forEach((q, i) => {
    ids.push(`q/${q}`);
    const v = i % 2 === 0 ? dvec.get(`p${i}`)! : Array.from({ length: dim }, () => 0);
    for (let d = 0; d < dim; d++) flat.push(v[d]! * 3 + 0.1 * rnd());
  });
  const emb = join(dir, 'xor.safetensors');
  writeEmbeddings(emb, ids, Float32Array.from(flat), dim);
  const out = join(dir, 'xor.json');
  const r = polyret('eval', '--task', 'beir', '--dataset', 'xor-tydi', '--lang', 'te', '--embeddings', emb, '--corpus', corpus, '--out', out, '--similarity', 'cosine', '-m', 'R@2kt', '-m', 'R@5kt', '-m', 'RR@10', '-m', 'P@1');
  assert.equal(r.status, 0, r.stderr);
  const b = (JSON.parse(readFileSync(out, 'utf8')) as EvalResults).beir!;
  assert.equal(b.dataset, 'xor-tydi-retrieve-dev-te');
  assert.equal(b.numQueries, qids.length);
  // even questions find their own passage first (an answer may also occur by chance in a distractor: none here)
  const evenHits = qids.filter((_, i) => i % 2 === 0).length;
  assert.ok(b.metrics['R@2kt']! >= evenHits / qids.length - 1e-12, String(b.metrics['R@2kt']));
  assert.ok(b.metrics['R@5kt']! >= b.metrics['R@2kt']!);
  const s = JSON.parse(polyret('score', '--qrels', b.answerQrelsFile!, '--run', b.runFile!, '-m', 'RR@10', '-m', 'P@1', '--complete', '--json').stdout) as { metrics: Record<string, number> };
  for (const m of ['RR@10', 'P@1']) assert.ok(Math.abs(s.metrics[m]! - b.metrics[m]!) < 1e-12, `${m}: ${s.metrics[m]} vs ${b.metrics[m]}`);
  assert.ok(b.metrics['P@1']! >= evenHits / qids.length - 1e-12);
  const noCorpus = polyret('eval', '--task', 'beir', '--dataset', 'xor-tydi', '--lang', 'te', '--embeddings', emb, '--out', join(dir, 'x.json'));
  assert.equal(noCorpus.status, 1);
  assert.match(noCorpus.stderr, /supply the English passages with --corpus FILE/);
});
