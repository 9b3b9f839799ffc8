import { Worker } from 'node:worker_threads';

/** Tokenises on a worker thread, so the next batch is ready when the current step ends. */
export class TokenizerWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (rows: number[][]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | null = null;

  constructor(tokenizerPath: string, configPath?: string) {
    this.worker = new Worker(new URL('./tokenizeWorker.js', import.meta.url), { workerData: { tokenizerPath, configPath } });
    this.worker.on('message', (m: { id: number; rows?: number[][]; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`tokenizer worker: ${m.error}`));
      else p.resolve(m.rows!);
    });
    this.worker.on('error', (err) => {
      this.failed = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    // Not unref'd: while the trainer awaits a batch, the worker is what keeps the event loop alive.
    // The trainer terminates it when the loop ends (also on errors).
  }

  tokenize(texts: string[], maxLength: number): Promise<number[][]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, texts, maxLength });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
