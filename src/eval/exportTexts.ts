import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename } from 'node:fs/promises';
import { candidateText, loadLareqa, type CandidateText } from './tasks/lareqaData.js';
import { loadMiraclDev, MIRACL_LANGUAGES, passageText, readMiraclCorpus } from './tasks/miracl.js';
import { loadTatoeba, tatoebaId, tatoebaLanguages } from './tasks/tatoeba.js';
import type { EvalTask } from './results.js';
import { resolveBeirDataset } from './runners/beirRunner.js';
import { documentText, readCorpus } from './tasks/beirCorpus.js';
import { dataDir } from '../util/dataDir.js';

/**
 * Writes every text an evaluation will embed as JSONL `{"id", "text", "kind": "query"|"passage"}`, with the ids
 * `--embeddings` expects, so vectors can be produced by any external model. Returns the number of lines.
 * Written to a temporary name and renamed, so a partial file is never mistaken for a whole one.
 */
export async function exportTexts(task: EvalTask, languages: string[], path: string, mode: CandidateText, corpus?: string, beir: { dataset?: string; split?: string } = {}): Promise<number> {
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  let n = 0;
  const write = async (id: string, text: string, kind: 'query' | 'passage') => {
    n++;
    if (!out.write(`${JSON.stringify({ id, text, kind })}\n`)) await once(out, 'drain');
  };
  if (task === 'miracl') {
    for (const lang of languages.length ? languages : MIRACL_LANGUAGES) {
      for (const [qid, text] of loadMiraclDev(lang).topics) await write(`q/${qid}`, text, 'query');
    }
    if (corpus) for await (const p of readMiraclCorpus(corpus)) await write(`d/${p.docid}`, passageText(p), 'passage');
  } else if (task === 'beir') {
    const ds = resolveBeirDataset({ ...beir, languages, ...(corpus ? { corpus } : {}) }, dataDir());
    if (!ds.corpus) throw new Error(`${ds.name}: no corpus to export; supply ${ds.corpusHint}`);
    for (const [qid, text] of ds.queries) await write(`q/${qid}`, text, 'query');
    for await (const d of readCorpus(ds.corpus)) await write(`d/${d.docid}`, documentText(d), 'passage');
  } else if (task === 'tatoeba') {
    // Both sides are encoded as queries: the task is symmetric (runEval does the same with --model).
    for (const p of loadTatoeba(tatoebaLanguages(languages))) {
      for (const [i, t] of p.xx.entries()) await write(tatoebaId(p.lang, 'xx', i), t, 'query');
      for (const [i, t] of p.en.entries()) await write(tatoebaId(p.lang, 'en', i), t, 'query');
    }
  } else {
    const ds = loadLareqa(task, languages);
    for (const l of ds.languages) {
      for (const q of l.questions) await write(q.id, q.text, 'query');
      for (const c of l.candidates) await write(c.id, candidateText(c, mode), 'passage');
    }
  }
  out.end();
  await once(out, 'finish');
  await rename(tmp, path);
  return n;
}
