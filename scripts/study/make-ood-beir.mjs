#!/usr/bin/env node
// Builds the small study's out-of-domain retrieval sets as BEIR folders (corpus.jsonl, queries.jsonl,
// qrels/test.tsv) from the native-language QA dev sets in the shared data folder, for `--task beir`:
//   korquad-dev: KorQuAD 1.0 dev (Korean Wikipedia, written in Korean: not translated; Korean is unseen in the
//                study's training), drcd-dev: DRCD dev (Traditional Chinese Wikipedia).
// Corpus: every paragraph of the dev set (title = article title). Queries: the first question of every
// paragraph; its paragraph is the one relevant document. Paragraph retrieval over whole native Wikipedia
// paragraphs is a different task and text distribution from the study's training (translated XQuAD questions
// against single sentences). Output goes to the folder given (default runs/ood), never into the repository.
//   node scripts/study/make-ood-beir.mjs [OUT_DIR]
import { mkdirSync, readFileSync, writeFileSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const data = process.env.POLYRET_DATA ? resolve(process.env.POLYRET_DATA) : resolve(root, '..', 'shared', 'data');
const out = resolve(process.argv[2] ?? join(root, 'runs', 'ood'));
const sets = [
  { name: 'korquad-dev', file: 'monolingual_qa/korquad_v1/KorQuAD_v1.0_dev.json' },
  { name: 'drcd-dev', file: 'monolingual_qa/drcd/DRCD_dev.json' },
];
for (const s of sets) {
  const path = join(data, s.file);
  if (!existsSync(path)) {
    console.error(`${path}: missing (the shared data folder's ${s.file}; set POLYRET_DATA)`);
    process.exit(1);
  }
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(doc.data)) throw new Error(`${path}: expected a SQuAD-style file with a 'data' list`);
  const corpus = [];
  const queries = [];
  const qrels = ['query-id\tcorpus-id\tscore'];
  doc.data.forEach((article, a) => {
    article.paragraphs.forEach((p, k) => {
      const id = `p${a}-${k}`;
      corpus.push(JSON.stringify({ _id: id, title: article.title ?? '', text: p.context }));
      const q = p.qas[0];
      if (!q) return;
      queries.push(JSON.stringify({ _id: String(q.id), text: q.question }));
      qrels.push(`${q.id}\t${id}\t1`);
    });
  });
  // Written into a temporary folder and renamed, so a half-written set is never read.
  const dest = join(out, s.name);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'qrels'), { recursive: true });
  writeFileSync(join(tmp, 'corpus.jsonl'), `${corpus.join('\n')}\n`);
  writeFileSync(join(tmp, 'queries.jsonl'), `${queries.join('\n')}\n`);
  writeFileSync(join(tmp, 'qrels', 'test.tsv'), `${qrels.join('\n')}\n`);
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  console.log(`${dest}: ${corpus.length} paragraphs, ${queries.length} queries (${s.file})`);
}
