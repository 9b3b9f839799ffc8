import { basename } from 'node:path';
import { Progress } from '../../util/progress.js';
import { packRows } from '../encoder.js';
import type { EmbeddingsFile } from '../embeddings.js';
import type { VectorSource } from '../vectorSource.js';
import { passageText, readMiraclCorpus } from '../tasks/miracl.js';

/** A piece of a corpus: document ids and their vectors [n × D]. */
export interface CorpusChunk {
  docids: string[];
  vectors: Float32Array;
}

/** The document rows (`d/<docid>`) of an embeddings file, in chunks of at most 65,536 rows. */
export function* embeddingChunks(file: EmbeddingsFile, rows = 65536, prefix = 'd/'): Generator<CorpusChunk> {
  const dim = file.dim;
  for (let start = 0; start < file.rows; start += rows) {
    const end = Math.min(file.rows, start + rows);
    const block = file.readRows(start, end);
    const docids: string[] = [];
    const keepRows: number[] = [];
    for (let i = start; i < end; i++) {
      const id = file.ids[i]!;
      if (id.startsWith(prefix)) {
        docids.push(id.slice(prefix.length));
        keepRows.push(i - start);
      }
    }
    if (docids.length === 0) continue;
    if (docids.length === end - start) {
      yield { docids, vectors: block };
      continue;
    }
    const v = new Float32Array(docids.length * dim);
    keepRows.forEach((r, j) => v.set(block.subarray(r * dim, (r + 1) * dim), j * dim));
    yield { docids, vectors: v };
  }
}

/**
 * Encodes a streamed corpus of `{docid, text}` documents with the model, `batchSize × 16` documents per chunk, so
 * memory holds one chunk of vectors at a time.
 */
export async function* encodeDocuments(
  src: Extract<VectorSource, { kind: 'model' }>,
  docs: AsyncIterable<{ docid: string; text: string }>,
  label: string,
): AsyncGenerator<CorpusChunk> {
  const bar = new Progress({ label: `encode ${label}`, unit: 'doc' });
  let docids: string[] = [];
  let texts: string[] = [];
  const flush = async () => {
    const v = packRows(await src.encoder.encode(texts, 'passage'), src.encoder.dim, 'passage');
    const out = { docids, vectors: v };
    bar.tick(docids.length);
    docids = [];
    texts = [];
    return out;
  };
  for await (const p of docs) {
    docids.push(p.docid);
    texts.push(p.text);
    if (docids.length >= src.batchSize * 16) yield await flush();
  }
  if (docids.length) yield await flush();
  bar.finish();
}

/** A MIRACL JSONL corpus encoded in chunks (text = title + text, MIRACL's convention). */
export function encodedChunks(src: Extract<VectorSource, { kind: 'model' }>, corpus: string): AsyncGenerator<CorpusChunk> {
  async function* docs() {
    for await (const p of readMiraclCorpus(corpus)) yield { docid: p.docid, text: passageText(p) };
  }
  return encodeDocuments(src, docs(), basename(corpus));
}
