import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { projectRoot } from '../../src/util/dataDir.js';

/** The Python that has PyTorch (Debian's python3-torch lives under /usr/bin/python3). */
export function peerPython(): string {
  return process.env.POLYRET_PEER_PYTHON ?? '/usr/bin/python3';
}

/** Runs a committed peer script under bench/ and parses the JSON object on its last stdout line. */
export function runPeer<T>(script: string, args: string[], env: Record<string, string> = {}): T {
  const r = spawnSync(peerPython(), [join(projectRoot(), 'bench', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`peer ${script} failed (exit ${r.status}):\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The closing line every benchmark ends with. */
export function ratioLine(name: string, polyret: number, peer: number, unit: string): string {
  const fmt = (x: number): string => (x >= 100 ? x.toFixed(1) : x >= 1 ? x.toFixed(3) : x.toPrecision(3));
  return `${name}: polyret ${fmt(polyret)} ${unit}, peer ${fmt(peer)} ${unit}, ratio ${(polyret / peer).toFixed(3)}`;
}

/**
 * A peer process that answers one request line at a time with one JSON line, so a benchmark can
 * alternate peer and polyret work item by item: on a shared machine, load then hits both alike.
 */
export class InterleavedPeer {
  private readonly proc: import('node:child_process').ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting: Array<(line: string) => void> = [];
  // Lines that arrived before anyone asked for them (a second peer's "ready" while the first is awaited).
  private unclaimed: string[] = [];
  private stderr = '';

  constructor(script: string, args: string[], env: Record<string, string> = {}) {
    this.proc = spawn(peerPython(), [join(projectRoot(), 'bench', script), ...args, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const w = this.waiting.shift();
        if (w) w(line);
        else this.unclaimed.push(line);
      }
    });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (c: string) => {
      this.stderr += c;
    });
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: `peer exited with ${code}: ${this.stderr}` }));
    });
  }

  private next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      const settle = (line: string): void => {
        const v = JSON.parse(line) as T & { error?: string };
        if (v.error) reject(new Error(v.error));
        else resolve(v);
      };
      const early = this.unclaimed.shift();
      if (early !== undefined) settle(early);
      else this.waiting.push(settle);
    });
  }

  /** Waits for the peer's first line (it prints one when ready). */
  ready<T>(): Promise<T> {
    return this.next<T>();
  }

  request<T>(line: string): Promise<T> {
    const p = this.next<T>();
    this.proc.stdin.write(`${line}\n`);
    return p;
  }

  close(): void {
    this.proc.stdin.end();
  }
}

/**
 * Thread settings. polyret: all cores for libtorch and OpenBLAS with passive OpenMP waiting (its default;
 * `--aten-threads` sets libtorch's pool apart). PyTorch: unless `--peer-threads` pins one setting, the peer runs
 * in two processes, each with one of its good settings on this machine — torch.set_num_threads(1) with OpenBLAS on
 * all cores, and all cores for both with passive waiting — and the faster one (by median) is the peer's figure.
 */
export interface ThreadSettings { threads: number; atenThreads: number; peers: PeerSetting[] }

export interface PeerSetting { aten: number; blas: number; passive: boolean }

export const THREAD_FLAGS = {
  threads: { type: 'string' },
  'aten-threads': { type: 'string' },
  'peer-threads': { type: 'string' },
  'peer-blas-threads': { type: 'string' },
} as const;

export function threadSettings(values: { threads?: string; 'aten-threads'?: string; 'peer-threads'?: string; 'peer-blas-threads'?: string }, defaultAten?: number): ThreadSettings {
  const cores = availableParallelism();
  const threads = values.threads ? Number(values.threads) : cores;
  const blas = values['peer-blas-threads'] ? Number(values['peer-blas-threads']) : cores;
  const peers: PeerSetting[] = values['peer-threads']
    ? [{ aten: Number(values['peer-threads']), blas, passive: process.env.OMP_WAIT_POLICY === 'PASSIVE' }]
    : [{ aten: 1, blas, passive: false }, { aten: cores, blas, passive: true }];
  return { threads, atenThreads: values['aten-threads'] ? Number(values['aten-threads']) : (defaultAten ?? threads), peers };
}

/** The peer's environment: its BLAS pool and OpenMP waiting (both read when the libraries load). */
export function peerEnv(p: PeerSetting): Record<string, string> {
  return { OPENBLAS_NUM_THREADS: String(p.blas), OMP_WAIT_POLICY: p.passive ? 'PASSIVE' : 'ACTIVE' };
}

export function peerLabel(p: PeerSetting): string {
  return `torch threads ${p.aten}, OpenBLAS ${p.blas}, ${p.passive ? 'passive' : 'active'} waiting`;
}

export function describeThreads(t: ThreadSettings): string {
  return `threads: polyret ATen ${t.atenThreads}, OpenBLAS ${t.threads} (OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'default'}); ` +
    `PyTorch: ${t.peers.map(peerLabel).join(' | ')}${t.peers.length > 1 ? ' (the faster one counts)' : ''}`;
}

/** The index of the peer setting with the lowest median, and that median. */
export function bestPeer(times: number[][]): { index: number; median: number } {
  let index = 0;
  times.forEach((t, i) => {
    if (median(t) < median(times[index]!)) index = i;
  });
  return { index, median: median(times[index]!) };
}
