/**
 * Worker thread that tokenises the next batch while the main thread runs the current step
 * (libtorch ops block the main thread; tokenisation is pure JS, so it can run beside them).
 * Messages: {id, texts, maxLength} → {id, rows} | {id, error}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HfTokenizer } from '../models/tokenizer.js';

interface Request {
  id: number;
  texts: string[];
  maxLength: number;
}

const { tokenizerPath, configPath } = workerData as { tokenizerPath: string; configPath?: string };
const tok = HfTokenizer.fromFile(tokenizerPath, configPath);
parentPort!.on('message', (m: Request) => {
  try {
    const rows = m.texts.map((t) => tok.encode(t, null, { maxLength: m.maxLength }).ids);
    parentPort!.postMessage({ id: m.id, rows });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
