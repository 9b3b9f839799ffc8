import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { outputError, registerTemp, releaseTemp } from '../util/outputWriter.js';
import { candidateText, loadLareqa, type CandidateText } from './tasks/lareqaData.js';
import { loadMiraclDev, MIRACL_LANGUAGES, passageText, readMiraclCorpus } from './tasks/miracl.js';

/**
 * Writes every text an evaluation will embed as JSONL `{"id", "text", "kind": "query"|"passage"}`, with the ids
 * `--embeddings` expects, so vectors can be produced by any external model. Returns the number of lines.
 * Written to a temporary name and renamed, so a partial file is never mistaken for a whole one.
 */
export async function exportTexts(task: 'xquad-r' | 'mlqa-r' | 'miracl', languages: string[], path: string, mode: CandidateText, corpus?: string): Promise<number> {
  const tmp = `${path}.${process.pid}.tmp`;
  registerTemp(tmp);
  try {
    return await exportTo(tmp, task, languages, path, mode, corpus);
  } catch (err) {
    await rm(tmp, { force: true });
    throw (err as NodeJS.ErrnoException).code ? outputError(path, err) : err;
  } finally {
    releaseTemp(tmp);
  }
}

async function exportTo(tmp: string, task: 'xquad-r' | 'mlqa-r' | 'miracl', languages: string[], path: string, mode: CandidateText, corpus?: string): Promise<number> {
  const out = createWriteStream(tmp);
  let failed: Error | null = null;
  out.on('error', (e) => { failed = e; });
  let n = 0;
  const write = async (id: string, text: string, kind: 'query' | 'passage') => {
    n++;
    if (failed) throw failed;
    if (!out.write(`${JSON.stringify({ id, text, kind })}\n`)) await once(out, 'drain');
  };
  if (task === 'miracl') {
    for (const lang of languages.length ? languages : MIRACL_LANGUAGES) {
      for (const [qid, text] of loadMiraclDev(lang).topics) await write(`q/${qid}`, text, 'query');
    }
    if (corpus) for await (const p of readMiraclCorpus(corpus)) await write(`d/${p.docid}`, passageText(p), 'passage');
  } else {
    const ds = loadLareqa(task, languages);
    for (const l of ds.languages) {
      for (const q of l.questions) await write(q.id, q.text, 'query');
      for (const c of l.candidates) await write(c.id, candidateText(c, mode), 'passage');
    }
  }
  out.end();
  await once(out, 'finish');
  if (failed) throw failed;
  await rename(tmp, path);
  return n;
}
