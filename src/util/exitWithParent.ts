import { Worker } from 'node:worker_threads';

/**
 * For child processes of `polyret study`: die with the parent. A killed study (even by SIGKILL) must not leave a
 * trainer writing into a run folder that a resumed study is about to use. The check runs on a worker thread,
 * because the trainer's main thread can go whole runs without reaching the event loop's I/O phase (each step
 * awaits an already tokenised batch, a microtask only): every 100 ms the worker compares the parent pid with the
 * one at start (an orphan is re-parented) and, when it changed, SIGKILLs its own process — the state a killed
 * trainer is built to resume from (atomic checkpoints). Only active when POLYRET_EXIT_WITH_PARENT=1.
 */
export function exitWithParent(): void {
  if (process.env.POLYRET_EXIT_WITH_PARENT !== '1') return;
  const code = `
    const { workerData } = require('node:worker_threads');
    setInterval(() => { if (process.ppid !== workerData.ppid) process.kill(workerData.pid, 'SIGKILL'); }, 100);
  `;
  const w = new Worker(code, { eval: true, workerData: { ppid: process.ppid, pid: process.pid } });
  w.unref();
}
