import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { projectRoot } from '../../src/util/dataDir.js';

/**
 * The Python the peers run in: POLYRET_PEER_PYTHON, else the project's venv (`.venv/bin/python`, made by
 * `bash scripts/setup-python.sh` with the pinned torch 2.13.0, transformers and sentence-transformers).
 */
export function peerPython(): string {
  const chosen = process.env.POLYRET_PEER_PYTHON;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`POLYRET_PEER_PYTHON=${chosen}: no such file (expected a Python interpreter with torch)`);
    return chosen;
  }
  const venv = join(projectRoot(), '.venv', 'bin', 'python');
  if (existsSync(venv)) return venv;
  throw new Error(
    `the benchmarks' peers need Python with torch 2.13, transformers and sentence-transformers, but ${venv} does not exist: ` +
      'run `bash scripts/setup-python.sh` (it makes .venv from scripts/python/requirements.txt), or set POLYRET_PEER_PYTHON=/path/to/python',
  );
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
 * glibc's malloc tuning that polyret's addon applies at load (native/src/addon.cc: mallopt M_MMAP_THRESHOLD and
 * M_TRIM_THRESHOLD to 1 GiB, unless POLYRET_SYSTEM_MALLOC=1), written as the GLIBC_TUNABLES that give a Python peer
 * the same allocator behaviour: freed blocks are kept and reused instead of fresh page-faulted mmaps per step.
 */
export const TUNED_MALLOC_BYTES = 1 << 30;
export const TUNED_GLIBC_TUNABLES = `glibc.malloc.mmap_threshold=${TUNED_MALLOC_BYTES}:glibc.malloc.trim_threshold=${TUNED_MALLOC_BYTES}`;

/** Whether polyret's own process runs with the addon's malloc tuning (it reads the variable when it loads). */
export function polyretMallocLabel(): string {
  return process.env.POLYRET_SYSTEM_MALLOC === '1' ? 'glibc malloc defaults (POLYRET_SYSTEM_MALLOC=1)' : 'glibc malloc tuned by the addon (mmap/trim thresholds 1 GiB)';
}

/**
 * Thread and allocator settings. polyret: all cores for libtorch and OpenBLAS with passive OpenMP waiting (its
 * default; `--aten-threads` sets libtorch's pool apart) and its malloc tuning (POLYRET_SYSTEM_MALLOC=1 turns it off
 * for the whole run). The peer runs in one process per setting, all stepping by turns with polyret, and the fastest
 * (by median) is the peer's figure: by default torch threads = cores, OpenMP waiting as `--peer-wait` (measured best
 * for PyTorch 2.13 here: see docs/tensor-engine.md), once with glibc's malloc defaults and once with the same
 * tuning as polyret's addon (GLIBC_TUNABLES), so polyret's lead cannot come from a setting the peer was denied.
 */
export interface ThreadSettings { threads: number; atenThreads: number; peers: PeerSetting[] }

export interface PeerSetting {
  /** torch.set_num_threads (PyTorch 2.13's MKL and oneDNN follow it). */
  aten: number;
  /** OPENBLAS_NUM_THREADS, for a peer torch built on OpenBLAS (Debian's 1.13). */
  blas: number;
  passive: boolean;
  /** GLIBC_TUNABLES with polyret's malloc thresholds. */
  tunedMalloc: boolean;
}

export const THREAD_FLAGS = {
  threads: { type: 'string' },
  'aten-threads': { type: 'string' },
  'peer-threads': { type: 'string' },
  'peer-blas-threads': { type: 'string' },
  'peer-wait': { type: 'string', default: 'passive' },
  'peer-malloc': { type: 'string', default: 'both' },
} as const;

/** `--help` lines for THREAD_FLAGS, shared by the benchmarks. */
export const THREAD_FLAGS_HELP = [
  '  --threads N            polyret: OpenBLAS threads (and ATen, unless --aten-threads); default: all cores',
  '  --aten-threads N       polyret: libtorch intra-op threads',
  '  --peer-threads N       peer: torch.set_num_threads (default: all cores)',
  '  --peer-blas-threads N  peer: OPENBLAS_NUM_THREADS (only matters for a torch built on OpenBLAS; default: all cores)',
  '  --peer-wait W          peer: OMP_WAIT_POLICY active | passive | both (one peer process each; default passive)',
  '  --peer-malloc M        peer: glibc malloc default | tuned (polyret\'s thresholds via GLIBC_TUNABLES) | both (default both)',
].join('\n');

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer, got '${v}'`);
  return n;
}

function choice<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new Error(`--${flag}: expected ${allowed.join(' | ')}, got '${v}'`);
  return v as T;
}

export function threadSettings(
  values: { threads?: string; 'aten-threads'?: string; 'peer-threads'?: string; 'peer-blas-threads'?: string; 'peer-wait'?: string; 'peer-malloc'?: string },
  defaultAten?: number,
): ThreadSettings {
  const cores = availableParallelism();
  const threads = values.threads ? positiveInt('threads', values.threads) : cores;
  const aten = values['peer-threads'] ? positiveInt('peer-threads', values['peer-threads']) : cores;
  const blas = values['peer-blas-threads'] ? positiveInt('peer-blas-threads', values['peer-blas-threads']) : cores;
  const wait = choice('peer-wait', values['peer-wait'] ?? 'passive', ['active', 'passive', 'both'] as const);
  const malloc = choice('peer-malloc', values['peer-malloc'] ?? 'both', ['default', 'tuned', 'both'] as const);
  const peers: PeerSetting[] = [];
  for (const passive of wait === 'both' ? [false, true] : [wait === 'passive']) {
    for (const tunedMalloc of malloc === 'both' ? [false, true] : [malloc === 'tuned']) peers.push({ aten, blas, passive, tunedMalloc });
  }
  const atenThreads = values['aten-threads'] ? positiveInt('aten-threads', values['aten-threads']) : (defaultAten ?? threads);
  return { threads, atenThreads, peers };
}

/** The peer's environment: its BLAS pool, OpenMP waiting and allocator (all read when the libraries load). */
export function peerEnv(p: PeerSetting): Record<string, string> {
  const env: Record<string, string> = { OPENBLAS_NUM_THREADS: String(p.blas), OMP_WAIT_POLICY: p.passive ? 'PASSIVE' : 'ACTIVE' };
  if (p.tunedMalloc) env.GLIBC_TUNABLES = TUNED_GLIBC_TUNABLES;
  return env;
}

export function peerLabel(p: PeerSetting): string {
  return `torch threads ${p.aten}, ${p.passive ? 'passive' : 'active'} waiting, malloc ${p.tunedMalloc ? 'tuned' : 'default'}`;
}

export function describeThreads(t: ThreadSettings): string {
  return `settings: polyret ATen ${t.atenThreads} threads, OpenBLAS ${t.threads} (OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'passive by default'}), ${polyretMallocLabel()}; ` +
    `peer: ${t.peers.map(peerLabel).join(' | ')}${t.peers.length > 1 ? ' (one process each, the fastest counts)' : ''}; tuned malloc = GLIBC_TUNABLES=${TUNED_GLIBC_TUNABLES}`;
}

/** The index of the peer setting with the lowest median, and that median. */
export function bestPeer(times: number[][]): { index: number; median: number } {
  let index = 0;
  times.forEach((t, i) => {
    if (median(t) < median(times[index]!)) index = i;
  });
  return { index, median: median(times[index]!) };
}
