import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** sha256 of a file, read in 4 MiB pieces so multi-GB embeddings or checkpoints never sit in memory. */
export function sha256File(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 << 20);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** sha256 of each file, keyed by its path relative to `base` (sorted), for a results file's data/model fingerprints. */
export function fingerprintFiles(paths: readonly string[], base: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of [...paths].sort()) out[relative(base, p)] = sha256File(p);
  return out;
}

/** Every regular file under a folder (a model directory), recursively, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...listFiles(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}
