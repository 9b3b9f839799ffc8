import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
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
