/**
 * The one way polyret writes its outputs (see docs/errors.md, "Errors"):
 *
 * - `checkOutputFile` / `checkOutputFolder` look at a target *before* the work starts: an existing folder where a
 *   file is wanted (or a file where a folder is wanted), an existing model or run folder that must not be replaced
 *   without `--overwrite`, an ancestor that is a file, a location that is not writable.
 * - `writeOutputFile` writes a file into a temporary file beside the target and renames it into place only when
 *   every byte is written and fsynced; `FolderOutput` does the same for a whole set of files (a model folder, a
 *   report): they are written into a temporary folder beside the target, which is renamed into place on `commit()`.
 * - Temporary files and folders are registered while they exist, and removed on error and on SIGINT / SIGTERM
 *   (the process then exits with 130 / 143 after saying what it removed).
 * - Every failure is an `OutputError`: "cannot write PATH: reason (ERRNO)".
 *
 * Test seam: `POLYRET_TEST_WRITE_FAULT=ERRNO@N` (e.g. `ENOSPC@1`) makes the N-th data write of this process fail
 * with that errno, as a full disk would; `setWriteFault` does the same in-process.
 */
import {
  accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A write that cannot be done, named by path, with the reason and the errno when there is one. */
export class OutputError extends Error {
  constructor(readonly path: string, readonly reason: string, readonly code?: string) {
    super(`cannot write ${path}: ${reason}${code ? ` (${code})` : ''}`);
    this.name = 'OutputError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it already exists',
  ENOENT: 'a part of the path does not exist',
  EIO: 'input/output error',
  ENAMETOOLONG: 'the name is too long',
};

/** An fs error turned into an OutputError naming `path` (the user's target, not the temporary name). */
export function outputError(path: string, err: unknown): OutputError {
  if (err instanceof OutputError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = code && REASONS[code] ? REASONS[code]! : (err as Error | undefined)?.message ?? String(err);
  return new OutputError(path, reason, code);
}

/**
 * An error about a file inside a temporary folder, re-addressed to where that file was going to be, so the user
 * reads "cannot write run/final/model.safetensors", not the name of a temporary they never saw.
 */
export function retargetError(err: unknown, tmpDir: string, target: string): unknown {
  if (err instanceof OutputError && (err.path === tmpDir || err.path.startsWith(`${tmpDir}/`))) {
    return new OutputError(target + err.path.slice(tmpDir.length), err.reason, err.code);
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && !(err instanceof OutputError)) return outputError(target, err);
  return err;
}

// ---- fault injection (tests) ----

let fault: { code: string; at: number } | null = parseFault(process.env.POLYRET_TEST_WRITE_FAULT);
let writesSeen = 0;

function parseFault(spec: string | undefined): { code: string; at: number } | null {
  if (!spec) return null;
  const m = /^([A-Z]+)@(\d+)$/.exec(spec);
  if (!m) throw new Error(`POLYRET_TEST_WRITE_FAULT: expected ERRNO@N such as ENOSPC@1, got '${spec}'`);
  return { code: m[1]!, at: Number(m[2]) };
}

/** Makes the `at`-th data write from now fail with `code` (null: no fault). For tests of full disks. */
export function setWriteFault(code: string | null, at = 1): void {
  fault = code === null ? null : { code, at };
  writesSeen = 0;
}

function writeAll(fd: number, chunk: Uint8Array): void {
  writesSeen += 1;
  if (fault && writesSeen >= fault.at) {
    const e = new Error(`${fault.code}: simulated write failure`) as NodeJS.ErrnoException;
    e.code = fault.code;
    throw e;
  }
  let off = 0;
  while (off < chunk.byteLength) off += writeSync(fd, chunk, off, chunk.byteLength - off);
}

// ---- temporaries and signals ----

const temps = new Set<string>();
const interruptNotes = new Set<() => string | null>();
let handlersInstalled = false;

function onSignal(signal: NodeJS.Signals): void {
  const removed: string[] = [];
  for (const t of [...temps]) {
    try {
      rmSync(t, { recursive: true, force: true });
      removed.push(t);
    } catch { /* best effort on the way out */ }
  }
  temps.clear();
  const notes = [...interruptNotes].map((f) => f()).filter((x): x is string => !!x);
  process.stderr.write(`\npolyret: interrupted by ${signal}${removed.length ? `; removed partial output ${removed.join(', ')}` : ''}\n`);
  for (const n of notes) process.stderr.write(`polyret: ${n}\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/**
 * The SIGINT / SIGTERM handlers that remove registered temporaries are installed only while there is something to
 * clean up or report (a temporary, or a note such as training's), and removed after: a JS signal handler runs only
 * when the event loop does, so left installed it would make Ctrl-C wait for the end of any long synchronous work.
 */
function syncHandlers(): void {
  const want = temps.size > 0 || interruptNotes.size > 0;
  if (want && !handlersInstalled) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  } else if (!want && handlersInstalled) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  handlersInstalled = want;
}

/**
 * A line printed after "interrupted by SIGINT" (e.g. which checkpoint is intact); returns a remover. While a note
 * is registered SIGINT is handled by polyret, so the code that registers one must reach the event loop often
 * (training yields after every step).
 */
export function onInterruptNote(note: () => string | null): () => void {
  interruptNotes.add(note);
  syncHandlers();
  return () => {
    interruptNotes.delete(note);
    syncHandlers();
  };
}

/** Registers a temporary file or folder, removed on SIGINT / SIGTERM until `releaseTemp`. */
export function registerTemp(path: string): void {
  temps.add(path);
  syncHandlers();
}

export function releaseTemp(path: string): void {
  temps.delete(path);
  syncHandlers();
}

/** The temporary files and folders currently registered (for tests). */
export function pendingTemps(): string[] {
  return [...temps];
}

let tempCounter = 0;
function tempName(target: string, kind: 'tmp' | 'old'): string {
  return join(dirname(target), `.${basename(target)}.${kind}-${process.pid}-${++tempCounter}`);
}

// ---- checks before the work ----

/** The nearest existing ancestor of `path` must be a writable folder; missing folders below it are created later. */
function checkAncestors(target: string): void {
  let dir = dirname(resolve(target));
  for (;;) {
    let st;
    try {
      st = statSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        const up = dirname(dir);
        if (up === dir) throw new OutputError(target, `no existing folder above it`, 'ENOENT');
        dir = up;
        continue;
      }
      throw outputError(target, err);
    }
    if (!st.isDirectory()) throw new OutputError(target, `${dir} is a file, not a folder`, 'ENOTDIR');
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new OutputError(target, `the folder ${dir} is not writable`, code ?? 'EACCES');
    }
    // access() says yes to root everywhere, and knows nothing of read-only mounts or pseudo file systems: a real
    // probe file (created exclusively, removed at once) tells whether a temporary can be made here.
    const probe = join(dir, `.polyret-probe-${process.pid}-${++tempCounter}`);
    try {
      closeSync(openSync(probe, 'wx'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new OutputError(target, `the folder ${dir} does not accept new files (read-only or not writable)`, code ?? 'EACCES');
    }
    rmSync(probe, { force: true });
    return;
  }
}

/**
 * Checks that `path` can be written as a file: not an existing folder, an existing file only when `replace` is
 * not false, a writable folder above it. Call before the work that produces the file.
 */
export function checkOutputFile(path: string, opts: { replace?: boolean } = {}): void {
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isDirectory()) throw new OutputError(path, 'it is an existing folder; give a file name', 'EISDIR');
    // A device or pipe (/dev/null, /dev/full) would be replaced by a regular file by the rename.
    if (!st.isFile()) throw new OutputError(path, 'it exists and is not a regular file (a device, pipe or socket)', 'EINVAL');
    if (opts.replace === false) throw new OutputError(path, 'the file exists', 'EEXIST');
  }
  checkAncestors(path);
}

export interface FolderCheck {
  /**
   * What an existing folder at the target may be replaced as: `never` (refuse), `empty` (only an empty folder),
   * or a predicate saying whether the folder is one of ours that may be replaced (e.g. an earlier report).
   * `overwrite` replaces anything but a file.
   */
  existing?: 'never' | 'empty' | ((dir: string) => boolean);
  overwrite?: boolean;
  /** Named in the refusal, e.g. "a model folder", with the flag that allows it. */
  what?: string;
}

/** Checks that `path` can be written as a folder (see {@link FolderCheck}). Call before the work. */
export function checkOutputFolder(path: string, opts: FolderCheck = {}): void {
  if (existsSync(path)) {
    const st = statSync(path);
    if (!st.isDirectory()) throw new OutputError(path, 'it is an existing file; give a folder name', 'EEXIST');
    const empty = readdirSync(path).length === 0;
    const rule = opts.existing ?? 'empty';
    const ok = opts.overwrite || (rule === 'never' ? false : empty || (typeof rule === 'function' && rule(path)));
    if (!ok) {
      throw new OutputError(path, `it is an existing ${opts.what ?? 'folder'} that is not empty; pass --overwrite to replace it, or choose another folder`, 'EEXIST');
    }
    try {
      accessSync(path, constants.W_OK | constants.X_OK);
    } catch (err) {
      throw new OutputError(path, 'the folder is not writable', (err as NodeJS.ErrnoException).code ?? 'EACCES');
    }
  }
  checkAncestors(path);
}

// ---- writing ----

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* some file systems refuse fsync on folders; the rename is still atomic */ }
}

/** Writes `data` to a new file at `path` (no temporary; for files inside a temporary folder). */
function writeNewFile(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    const chunks = Array.isArray(data) ? (data as readonly Uint8Array[]) : [typeof data === 'string' ? Buffer.from(data, 'utf8') : (data as Uint8Array)];
    for (const c of chunks) writeAll(fd, c);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file so that the target holds either its old content or the whole new content: the data goes into a
 * temporary file beside it, fsynced, renamed over the target. On any failure the temporary is removed and an
 * OutputError naming `path` is thrown; the target is as it was.
 */
export function writeOutputFile(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isDirectory()) throw new OutputError(path, 'it is an existing folder; give a file name', 'EISDIR');
    if (!st.isFile()) throw new OutputError(path, 'it exists and is not a regular file (a device, pipe or socket)', 'EINVAL');
  }
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    checkAncestors(path);
    throw outputError(path, err);
  }
  const tmp = tempName(path, 'tmp');
  registerTemp(tmp);
  try {
    writeNewFile(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw outputError(path, err);
  } finally {
    releaseTemp(tmp);
  }
  fsyncDir(dir);
}

/**
 * A set of files written as one: into a temporary folder beside `target`, renamed into place by `commit()`
 * (an existing folder there, allowed by the check, is moved aside first and removed after the rename).
 * `abort()` (or any failed write) removes the temporary folder and leaves the target as it was.
 */
export class FolderOutput {
  readonly tmpDir: string;
  private done = false;

  constructor(readonly target: string, check: FolderCheck = {}) {
    checkOutputFolder(target, check);
    try {
      mkdirSync(dirname(resolve(target)), { recursive: true });
    } catch (err) {
      throw outputError(target, err);
    }
    this.tmpDir = tempName(target, 'tmp');
    registerTemp(this.tmpDir);
    try {
      mkdirSync(this.tmpDir);
    } catch (err) {
      releaseTemp(this.tmpDir);
      throw outputError(target, err);
    }
  }

  /** Where the file `name` (may contain `/`) is written before the commit; parent folders are created. */
  path(name: string): string {
    const p = join(this.tmpDir, name);
    mkdirSync(dirname(p), { recursive: true });
    return p;
  }

  /** Writes one file of the set; a failure aborts the whole set. */
  write(name: string, data: string | Uint8Array | readonly Uint8Array[]): void {
    try {
      writeNewFile(this.path(name), data);
    } catch (err) {
      this.abort();
      throw outputError(join(this.target, name), err);
    }
  }

  /** Runs `f` (which writes into `path(...)`, e.g. a tensor saver); a failure aborts the whole set. */
  run<T>(name: string, f: (path: string) => T): T {
    try {
      return f(this.path(name));
    } catch (err) {
      this.abort();
      if (err instanceof OutputError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw code ? outputError(join(this.target, name), err) : err;
    }
  }

  /** The final path of `name` once committed. */
  finalPath(name: string): string {
    return join(this.target, name);
  }

  commit(): void {
    if (this.done) throw new Error(`FolderOutput ${this.target}: already committed or aborted`);
    const old = tempName(this.target, 'old');
    try {
      fsyncDir(this.tmpDir);
      if (existsSync(this.target)) {
        registerTemp(old);
        renameSync(this.target, old);
      }
      renameSync(this.tmpDir, this.target);
    } catch (err) {
      // Put the previous folder back if it was moved aside.
      if (existsSync(old) && !existsSync(this.target)) renameSync(old, this.target);
      this.abort();
      releaseTemp(old);
      throw outputError(this.target, err);
    }
    this.done = true;
    releaseTemp(this.tmpDir);
    fsyncDir(dirname(resolve(this.target)));
    rmSync(old, { recursive: true, force: true });
    releaseTemp(old);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    rmSync(this.tmpDir, { recursive: true, force: true });
    releaseTemp(this.tmpDir);
  }
}

/** Writes a folder set with `fill`, committing on success and aborting on any error. */
export async function writeOutputFolder<T>(target: string, check: FolderCheck, fill: (out: FolderOutput) => T | Promise<T>): Promise<T> {
  const out = new FolderOutput(target, check);
  try {
    const r = await fill(out);
    out.commit();
    return r;
  } catch (err) {
    out.abort();
    throw retargetError(err, out.tmpDir, target);
  }
}

/** Synchronous {@link writeOutputFolder}. */
export function writeOutputFolderSync<T>(target: string, check: FolderCheck, fill: (out: FolderOutput) => T): T {
  const out = new FolderOutput(target, check);
  try {
    const r = fill(out);
    out.commit();
    return r;
  } catch (err) {
    out.abort();
    throw retargetError(err, out.tmpDir, target);
  }
}

/**
 * Writes several files as one set: every file is written to its temporary first, and only when all are written
 * are they renamed into place (a failure removes the temporaries and leaves every target as it was).
 */
export function writeOutputFiles(files: ReadonlyArray<{ path: string; data: string | Uint8Array | readonly Uint8Array[] }>): void {
  for (const f of files) checkOutputFile(f.path);
  const staged: Array<{ tmp: string; path: string }> = [];
  try {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      const tmp = tempName(f.path, 'tmp');
      registerTemp(tmp);
      staged.push({ tmp, path: f.path });
      try {
        writeNewFile(tmp, f.data);
      } catch (err) {
        throw outputError(f.path, err);
      }
    }
    for (const s of staged) {
      try {
        renameSync(s.tmp, s.path);
      } catch (err) {
        throw outputError(s.path, err);
      }
    }
  } finally {
    for (const s of staged) {
      rmSync(s.tmp, { force: true });
      releaseTemp(s.tmp);
    }
  }
}
