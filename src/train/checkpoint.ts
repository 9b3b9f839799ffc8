/**
 * Checkpoint folders that a crash can never leave half-trusted. A checkpoint is written into a
 * temporary folder (every file fsynced), then a manifest with each file's size and SHA-256 is
 * written last, then the folder is renamed into place. Loading verifies the manifest and every
 * checksum; a folder that fails is skipped with a warning and the next older one is tried.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { registerTemp, releaseTemp, retargetError } from '../util/outputWriter.js';

export const MANIFEST = 'manifest.json';
const STEP_DIR = /^step-(\d+)$/;

export interface Manifest {
  format: 'polyret-checkpoint';
  version: 1;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** One file of a checkpoint: its bytes, or a writer that creates it (e.g. saveTensors) at the path given. */
export type CheckpointFile = { name: string; data: string | Uint8Array } | { name: string; write: (path: string) => void };

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on folders; rename is still atomic there.
  }
}

/**
 * Writes `files` as the checkpoint folder `parent/name` (replacing an older folder of that name).
 * Returns the folder's path.
 */
export function writeCheckpointDir(parent: string, name: string, step: number, files: readonly CheckpointFile[]): string {
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  // Registered with the output writer: removed on an error here and on SIGINT / SIGTERM.
  registerTemp(tmp);
  try {
    mkdirSync(tmp);
    const manifest: Manifest = { format: 'polyret-checkpoint', version: 1, step, files: {} };
    for (const f of files) {
      if (f.name === MANIFEST || f.name.includes('/')) throw new Error(`checkpoint file name "${f.name}" is not allowed`);
      const path = join(tmp, f.name);
      try {
        if ('data' in f) writeFileAtomic(path, f.data);
        else f.write(path);
      } catch (err) {
        throw retargetError(err, tmp, join(parent, name));
      }
      manifest.files[f.name] = { bytes: statSync(path).size, sha256: sha256File(path) };
    }
    writeFileAtomic(join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    fsyncDir(tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    releaseTemp(tmp);
    throw retargetError(err, tmp, join(parent, name));
  }
  const target = join(parent, name);
  // A folder of the same name (a step written again after a resume, or the previous best) is moved
  // aside first and removed after the rename, so some complete version exists at every moment.
  const old = join(parent, `.${name}.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(tmp, target);
  releaseTemp(tmp);
  fsyncDir(parent);
  rmSync(old, { recursive: true, force: true });
  return target;
}

/** Checks a checkpoint folder against its manifest; returns the manifest, or a reason it cannot be trusted. */
export function verifyCheckpointDir(dir: string): { ok: true; manifest: Manifest } | { ok: false; reason: string } {
  const mpath = join(dir, MANIFEST);
  if (!existsSync(mpath)) return { ok: false, reason: 'no manifest (incomplete write)' };
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(mpath, 'utf8')) as Manifest;
  } catch (err) {
    return { ok: false, reason: `manifest is not valid JSON (${(err as Error).message})` };
  }
  if (m.format !== 'polyret-checkpoint' || m.version !== 1 || typeof m.files !== 'object' || !Number.isInteger(m.step)) {
    return { ok: false, reason: 'manifest is not a polyret checkpoint manifest' };
  }
  for (const [name, info] of Object.entries(m.files)) {
    const p = join(dir, name);
    if (!existsSync(p)) return { ok: false, reason: `${name} is missing` };
    const size = statSync(p).size;
    if (size !== info.bytes) return { ok: false, reason: `${name} has ${size} bytes, the manifest says ${info.bytes}` };
    if (sha256File(p) !== info.sha256) return { ok: false, reason: `${name} fails its SHA-256 check` };
  }
  return { ok: true, manifest: m };
}

/** Step folders under `root` (`step-00000100`), oldest first. */
export function listStepDirs(root: string): Array<{ step: number; dir: string }> {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => ({ m: STEP_DIR.exec(n), n }))
    .filter((x): x is { m: RegExpExecArray; n: string } => x.m !== null)
    .map((x) => ({ step: Number(x.m[1]), dir: join(root, x.n) }))
    .sort((a, b) => a.step - b.step);
}

export function stepDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/**
 * The newest checkpoint under `root` that passes verification, or null. Untrustworthy ones are
 * reported through `warn` and skipped.
 */
export function latestValidCheckpoint(root: string, warn: (msg: string) => void): { step: number; dir: string } | null {
  const all = listStepDirs(root).reverse();
  for (const c of all) {
    const v = verifyCheckpointDir(c.dir);
    if (v.ok) return c;
    warn(`skipping checkpoint ${c.dir}: ${v.reason}`);
  }
  return null;
}

/** Removes all but the newest `keep` step folders, and leftovers of interrupted writes. */
export function pruneCheckpoints(root: string, keep: number): void {
  const all = listStepDirs(root);
  for (const c of all.slice(0, Math.max(0, all.length - keep))) rmSync(c.dir, { recursive: true, force: true });
  if (!existsSync(root)) return;
  for (const n of readdirSync(root)) {
    if (/^\..*\.(tmp|old)-\d+$/.test(n)) {
      const pid = Number(n.slice(n.lastIndexOf('-') + 1));
      if (pid !== process.pid) rmSync(join(root, n), { recursive: true, force: true });
    }
  }
}
