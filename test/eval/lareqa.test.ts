import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasData } from '../../src/util/dataDir.js';
import { loadLareqa, parseLareqaFile, type LareqaDataset, type LareqaLanguage } from '../../src/eval/tasks/lareqaData.js';
import { evaluateLareqa, type ScoreBlock } from '../../src/eval/tasks/lareqaProtocol.js';
import { judgeRanking } from '../../src/eval/metrics/judgedRanking.js';
import { thresholdAveragePrecision } from '../../src/eval/metrics/thresholdAveragePrecision.js';
import { rankTrec } from '../../src/eval/metrics/rankRun.js';

/**
 * The deterministic stand-in scorer: character 3-gram TF-IDF (idf over every candidate of every language),
 * L2-normalised, cosine via an inverted index. Written here, independent of polyret's scorers.
 */
function tfidfScorer(ds: LareqaDataset): ScoreBlock {
  const grams = (text: string): Map<string, number> => {
    const s = ` ${text.toLowerCase().replace(/\s+/g, ' ')} `;
    const cps = Array.from(s);
    const m = new Map<string, number>();
    for (let i = 0; i + 3 <= cps.length; i++) {
      const g = cps[i]! + cps[i + 1]! + cps[i + 2]!;
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    return m;
  };
  const cands = ds.languages.flatMap((l) => l.candidates.map((c) => grams(c.sentence)));
  const df = new Map<string, number>();
  for (const c of cands) for (const g of c.keys()) df.set(g, (df.get(g) ?? 0) + 1);
  const idf = (g: string) => Math.log((1 + cands.length) / (1 + (df.get(g) ?? 0))) + 1;
  const weigh = (m: Map<string, number>) => {
    const w = new Map<string, number>();
    let norm = 0;
    for (const [g, tf] of m) {
      const v = tf * idf(g);
      w.set(g, v);
      norm += v * v;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [g, v] of w) w.set(g, v / norm);
    return w;
  };
  const postings = new Map<string, { idx: number[]; w: number[] }>();
  cands.forEach((c, i) => {
    for (const [g, v] of weigh(c)) {
      let p = postings.get(g);
      if (!p) postings.set(g, (p = { idx: [], w: [] }));
      p.idx.push(i);
      p.w.push(v);
    }
  });
  const total = cands.length;
  return (lang: LareqaLanguage, start: number, end: number) => {
    const out = new Float32Array((end - start) * total);
    for (let i = start; i < end; i++) {
      const row = out.subarray((i - start) * total, (i - start + 1) * total);
      for (const [g, v] of weigh(grams(lang.questions[i]!.text))) {
        const p = postings.get(g);
        if (!p) continue;
        for (let j = 0; j < p.idx.length; j++) row[p.idx[j]!]! += v * p.w[j]!;
      }
    }
    return out;
  };
}

test('LAReQA relevant sentences: XTREME\'s start rule by default, the overlap rule on request, clear errors for malformed files', () => {
  const para = (breaks: number[][], start: number, text: string, context = 'Aaaa bbb. Ccc dd. Ee.', sentences = ['Aaaa bbb.', 'Ccc dd.', 'Ee.']) => ({
    data: [{ title: 't', paragraphs: [{ context, sentences, sentence_breaks: breaks, qas: [{ id: 'x', question: 'q?', answers: [{ answer_start: start, text }] }] }] }],
  });
  const breaks = [[0, 9], [10, 17], [18, 21]];
  assert.deepEqual(parseLareqaFile(para(breaks, 10, 'Ccc'), 'en', 'f').questions[0]!.answers, [1]);
  assert.deepEqual(parseLareqaFile(para(breaks, 10, 'Ccc'), 'en', 'f', 'overlap').questions[0]!.answers, [1]);
  // an answer crossing a sentence break: start rule = the sentence holding answer_start; overlap = both
  const crossing = parseLareqaFile(para(breaks, 5, 'bbb. Ccc'), 'en', 'f');
  assert.deepEqual(crossing.questions[0]!.answers, [0]);
  assert.equal(crossing.rulesDiffer, 1);
  assert.deepEqual(parseLareqaFile(para(breaks, 5, 'bbb. Ccc'), 'en', 'f', 'overlap').questions[0]!.answers, [0, 1]);
  // XTREME marks candidates by text: a repeated answer sentence is relevant wherever it occurs in the paragraph
  const dup = parseLareqaFile(para([[0, 3], [4, 7], [8, 11]], 4, 'Ab', 'Ab. Ab. Cd.', ['Ab.', 'Ab.', 'Cd.']), 'en', 'f');
  assert.deepEqual(dup.questions[0]!.answers, [0, 1]);
  assert.equal(dup.rulesDiffer, 1);
  // answer_start between sentences: XTREME skips the question; the overlap rule finds no sentence and says so
  const gap = parseLareqaFile(para(breaks, 9, ' '), 'en', 'f');
  assert.equal(gap.questions.length, 0);
  assert.equal(gap.skipped, 1);
  assert.equal(gap.candidates.length, 3);
  assert.throws(() => parseLareqaFile(para(breaks, 9, ' '), 'en', 'f.json', 'overlap'), /f\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]\.answer_start: expected an offset inside a sentence/);
  assert.throws(() => parseLareqaFile(para([[0, 9], [10, 17]], 10, 'C'), 'en', 'f.json'), /f\.json: data\[0\]\.paragraphs\[0\]\.sentence_breaks: expected one break per sentence/);
  assert.throws(() => parseLareqaFile({ data: [{ paragraphs: [{ context: 'a' }] }] }, 'en', 'g.json'), /g\.json: data\[0\]\.paragraphs\[0\]\.sentences: expected an array/);
  assert.throws(() => loadLareqa('xquad-r', ['xx']), /xquad-r has no language 'xx'/);
});

const XQUAD_POOLS = { ar: 1222, de: 1276, el: 1234, en: 1180, es: 1215, hi: 1244, ru: 1219, th: 852, tr: 1167, vi: 1209, zh: 1196 };
const MLQA_QUERIES = { ar: 517, de: 512, en: 1148, es: 500, hi: 507, vi: 511, zh: 504 };
const MLQA_POOLS = { ar: 2545, de: 2362, en: 6264, es: 1787, hi: 2426, vi: 2828, zh: 2322 };

test('XQuAD-R end to end with a TF-IDF stand-in: 11/110/11 settings, every pool and query count', { skip: !hasData('xquad-r', 'en.json') && 'no shared data' }, () => {
  const ds = loadLareqa('xquad-r');
  const res = evaluateLareqa(ds, tfidfScorer(ds), { progress: false, mapAt: [20] });
  assert.deepEqual(res.poolSizes, XQUAD_POOLS);
  for (const n of Object.values(res.poolSizes)) assert.ok(n >= 852 && n <= 1276);
  assert.deepEqual(Object.values(res.queryCounts), Array(11).fill(1190));
  assert.equal(res.settings.filter((s) => s.kind === 'mono').length, 11);
  assert.equal(res.settings.filter((s) => s.kind === 'cross').length, 110);
  assert.equal(res.settings.filter((s) => s.kind === 'multi').length, 11);
  assert.deepEqual([res.summary.mono.settings, res.summary.cross.settings, res.summary.multi.settings], [11, 110, 11]);
  const total = Object.values(XQUAD_POOLS).reduce((a, b) => a + b, 0);
  for (const s of res.settings) {
    assert.equal(s.numQueries, 1190, `${s.query}→${s.pool}`);
    assert.equal(s.poolSize, s.kind === 'multi' ? total : XQUAD_POOLS[s.pool as keyof typeof XQUAD_POOLS]);
    assert.equal(s.perQuery.qids.length, 1190);
    for (const v of Object.values(s.metrics)) assert.ok(Number.isFinite(v));
  }
  // character n-grams work within a language and between languages sharing a script, and mAP@20 ≤ mAP
  const m = (q: string, p: string) => res.settings.find((s) => s.query === q && s.pool === p)!.metrics;
  assert.ok(m('en', 'en').mAP! > 0.3, `en→en ${m('en', 'en').mAP}`);
  assert.ok(m('en', 'en').mAP! > m('en', 'th').mAP! + 0.2);
  assert.ok(m('en', 'en')['mAP@20']! <= m('en', 'en').mAP! + 1e-12);
  assert.equal(res.matrix.mAP.length, 11);
  assert.equal(res.matrix.mAP[3]![3], m('en', 'en').mAP);
  assert.ok(res.rankDistance.max >= res.rankDistance.macro && res.rankDistance.macro > 0);
  // spot-check the full-pool AP of some multilingual queries against the sort-based threshold AP
  const score = tfidfScorer(ds);
  const de = ds.languages[1]!;
  const rows = score(de, 0, 5);
  const all = ds.languages.flatMap((l) => l.candidates);
  const multi = res.settings.find((s) => s.kind === 'multi' && s.query === 'de')!;
  for (let i = 0; i < 5; i++) {
    const q = de.questions[i]!;
    const rel = new Set<string>();
    for (const l of ds.languages) for (const a of l.questions.find((x) => x.qid === q.qid)!.answers) rel.add(l.candidates[a]!.id);
    const ranked = rankTrec(all.map((c, j) => ({ docid: c.id, score: rows[i * all.length + j]! })));
    const ap = thresholdAveragePrecision(judgeRanking(ranked, new Map([...rel].map((id) => [id, 1]))));
    assert.ok(Math.abs(ap - multi.perQuery.values.mAP![i]!) < 1e-9, `${q.qid}: ${ap} vs ${multi.perQuery.values.mAP![i]}`);
  }
});

test('MLQA-R end to end: 7/42/7 settings, queries per language, cross-lingual only where the question exists', { skip: !hasData('mlqa-r', 'en.json') && 'no shared data' }, () => {
  const ds = loadLareqa('mlqa-r');
  const res = evaluateLareqa(ds, tfidfScorer(ds), { progress: false });
  assert.deepEqual(res.queryCounts, MLQA_QUERIES);
  assert.deepEqual(res.poolSizes, MLQA_POOLS);
  assert.deepEqual([res.summary.mono.settings, res.summary.cross.settings, res.summary.multi.settings], [7, 42, 7]);
  for (const s of res.settings) {
    if (s.kind !== 'cross') assert.equal(s.numQueries, MLQA_QUERIES[s.query as keyof typeof MLQA_QUERIES]);
  }
  // X→Y queries = questions present in both X and Y: symmetric, and fewer than either side
  const ids = Object.fromEntries(ds.languages.map((l) => [l.lang, new Set(l.questions.map((q) => q.qid))]));
  for (const s of res.settings.filter((x) => x.kind === 'cross')) {
    const both = [...ids[s.query]!].filter((q) => ids[s.pool]!.has(q)).length;
    assert.equal(s.numQueries, both, `${s.query}→${s.pool}`);
  }
  assert.equal(res.settings.find((s) => s.query === 'ar' && s.pool === 'de')!.numQueries, res.settings.find((s) => s.query === 'de' && s.pool === 'ar')!.numQueries);
});

test('XTREME\'s start rule and the overlap rule differ for the questions the issue counts (XQuAD-R en 3, de 8, zh 11; MLQA-R en 2)', { skip: !hasData('xquad-r', 'en.json') && 'no shared data' }, () => {
  const differ = (task: 'xquad-r' | 'mlqa-r', langs: string[]) => Object.fromEntries(loadLareqa(task, langs).languages.map((l) => [l.lang, l.rulesDiffer]));
  assert.deepEqual(differ('xquad-r', ['en', 'de', 'zh']), { en: 3, de: 8, zh: 11 });
  assert.deepEqual(differ('mlqa-r', ['en']), { en: 2 });
  // the rules pick different sentences only there: every other question has the same single relevant sentence
  const start = loadLareqa('xquad-r', ['zh']).languages[0]!;
  const overlap = loadLareqa('xquad-r', ['zh'], undefined, { relevance: 'overlap' }).languages[0]!;
  let changed = 0;
  start.questions.forEach((q, i) => {
    assert.equal(q.answers.length, 1);
    if (q.answers.join() !== overlap.questions[i]!.answers.join()) changed++;
  });
  assert.equal(changed, 11);
  assert.equal(start.skipped, 0);
});
