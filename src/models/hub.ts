/**
 * Models by Hugging Face Hub id, for users with network: the standard files of a repo are downloaded over plain
 * HTTPS into a local cache, resumably, and verified; a local folder is used as it is.
 *
 * Protocol (the Hub's public HTTP API, as huggingface_hub uses it):
 *   GET {endpoint}/api/models/{id}/revision/{revision}?blobs=true → {sha, siblings: [{rfilename, size, blobId, lfs?: {sha256, size}}]}
 *   GET {endpoint}/{id}/resolve/{commit}/{file}                    → the file (LFS files redirect to a CDN)
 * Files are fetched at the listed commit so a branch moving mid-download cannot mix revisions.
 *
 * Cache layout (like the Hub's own cache, without its blob/symlink indirection):
 *   {cacheDir}/models--{org}--{name}/refs/{revision}              commit sha of a downloaded revision
 *   {cacheDir}/models--{org}--{name}/snapshots/{commit}/{file}    the files
 *   {cacheDir}/models--{org}--{name}/snapshots/{commit}/.polyret-complete.json   written last: the snapshot is whole
 * A partly downloaded file lives beside its target as `{file}.part` and is continued with an HTTP Range request.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { Progress } from '../util/progress.js';
import { MODEL_METADATA_FILES, SAFETENSORS_INDEX, SAFETENSORS_WEIGHTS, parseModulesJson, parseWeightIndex } from './modelFiles.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
const COMPLETE_MARKER = '.polyret-complete.json';
/** Files above this size get a progress bar. */
const PROGRESS_MIN_BYTES = 8 << 20;

export interface ResolveModelOptions {
  /** Cache folder; default: $POLYRET_HUB_CACHE, else $HF_HOME/polyret-hub, else ~/.cache/huggingface/polyret-hub. */
  cacheDir?: string;
  /** Branch, tag or commit; default 'main'. */
  revision?: string;
  /** Hub URL; default $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token for private or gated repos; default $HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, or the file $HF_HOME/token. */
  token?: string;
  /** Never touch the network (also $HF_HUB_OFFLINE=1): the revision must be in the cache. */
  offline?: boolean;
  /** Ask the Hub again even when the revision is cached (picks up a moved branch). */
  refresh?: boolean;
  /** Retries of a failed transfer, each resuming where the last stopped (default 4). */
  retries?: number;
  /** First retry delay in ms, doubled each time (default 500). */
  retryDelayMs?: number;
  /** Show progress bars for large files (default true). */
  progress?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedModel {
  /** The folder holding the model files. */
  dir: string;
  /** 'local' folder given, 'cache' hit without network, or 'hub' (downloaded now). */
  source: 'local' | 'cache' | 'hub';
  id?: string;
  commit?: string;
  /** Repo-relative paths of the files in the snapshot (for 'cache' and 'hub'). */
  files?: string[];
}

/** A sibling of the Hub's repo listing. */
export interface RepoFile {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256?: string; size?: number };
}

export interface RepoInfo {
  sha: string;
  siblings: RepoFile[];
}

export class HubError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'HubError';
  }
}

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME && env.HF_HOME.length > 0 ? env.HF_HOME : join(homedir(), '.cache', 'huggingface');
}

/** The cache folder used when none is given. */
export function defaultHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.POLYRET_HUB_CACHE) return env.POLYRET_HUB_CACHE;
  return join(hfHome(env), 'polyret-hub');
}

function defaultToken(env: NodeJS.ProcessEnv): string | undefined {
  const t = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (t) return t;
  const file = env.HF_TOKEN_PATH || join(hfHome(env), 'token');
  try {
    const s = readFileSync(file, 'utf8').trim();
    return s.length > 0 ? s : undefined;
  } catch {
    return undefined;
  }
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

/** Whether a string is a Hub model id ("org/name" or "name") rather than a path. */
export function isModelId(s: string): boolean {
  return REPO_ID.test(s) && !s.includes('..') && !s.endsWith('.');
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

function repoFolder(cacheDir: string, id: string): string {
  return join(cacheDir, `models--${id.replace(/\//g, '--')}`);
}

/**
 * Picks the files polyret needs from a repo listing: config/tokenizer/sentence-transformers metadata, and the
 * safetensors weights (single file, or the index whose shards come in a second pass). Throws when the repo has
 * weights only as PyTorch pickles.
 */
export function selectRootFiles(siblings: ReadonlySet<string>, id: string): string[] {
  const out: string[] = MODEL_METADATA_FILES.filter((f) => siblings.has(f));
  if (siblings.has(SAFETENSORS_WEIGHTS)) out.push(SAFETENSORS_WEIGHTS);
  else if (siblings.has(SAFETENSORS_INDEX)) out.push(SAFETENSORS_INDEX);
  else if (siblings.has('pytorch_model.bin') || siblings.has('pytorch_model.bin.index.json')) {
    throw new HubError(`${id}: the repo has weights only as PyTorch pickles (pytorch_model.bin); polyret reads safetensors. Use a revision with model.safetensors (e.g. the Hub's "refs/pr/N" conversion), or convert locally.`);
  } else if (!siblings.has('config.json')) {
    throw new HubError(`${id}: the repo has neither config.json nor weights; is it a model repo?`);
  }
  return out;
}

/** Files of a sentence-transformers module folder: its JSON configs and its weights (safetensors preferred). */
export function selectModuleFiles(siblings: ReadonlySet<string>, modulePath: string): string[] {
  const prefix = `${modulePath.replace(/\/+$/, '')}/`;
  const inside = [...siblings].filter((f) => f.startsWith(prefix) && !f.slice(prefix.length).includes('/'));
  const hasSafe = inside.includes(`${prefix}model.safetensors`);
  return inside.filter((f) => f.endsWith('.json') || f.endsWith('.safetensors') || (!hasSafe && f.endsWith('pytorch_model.bin'))).sort();
}

interface Ctx {
  endpoint: string;
  token?: string;
  retries: number;
  retryDelayMs: number;
  progress: boolean;
}

/** fetch that follows redirects itself, so the token never goes to another host (the Hub's CDN). */
async function hubFetch(url: string, ctx: Ctx, headers: Record<string, string> = {}): Promise<Response> {
  const origin = new URL(ctx.endpoint).origin;
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const h: Record<string, string> = { 'user-agent': 'polyret', ...headers };
    if (ctx.token && new URL(current).origin === origin) h.authorization = `Bearer ${ctx.token}`;
    const res = await fetch(current, { headers: h, redirect: 'manual' });
    if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
      await res.body?.cancel();
      current = new URL(res.headers.get('location')!, current).toString();
      continue;
    }
    return res;
  }
  throw new HubError(`${url}: too many redirects`);
}

function statusError(res: Response, what: string, url: string): HubError {
  const code = res.headers.get('x-error-code');
  const hint =
    res.status === 401 || res.status === 403
      ? ' (private or gated repo: set HF_TOKEN to a token with access)'
      : res.status === 404
        ? code === 'RevisionNotFound' ? ' (no such revision)' : code === 'EntryNotFound' ? ' (no such file in the repo)' : ' (no such repo, or private: set HF_TOKEN)'
        : '';
  return new HubError(`${what}: HTTP ${res.status} from ${url}${hint}`, res.status);
}

/** Lists a repo revision: its commit sha and files. */
export async function fetchRepoInfo(id: string, revision: string, ctx: Ctx): Promise<RepoInfo> {
  const url = `${ctx.endpoint}/api/models/${encodePath(id)}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const res = await withRetries(ctx, `listing ${id}@${revision}`, async () => {
    const r = await hubFetch(url, ctx);
    if (!r.ok) throw statusError(r, `listing ${id}@${revision}`, url);
    return r;
  });
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new HubError(`${url}: the listing is not JSON (${(err as Error).message})`);
  }
  const b = body as { sha?: unknown; siblings?: unknown };
  if (typeof b.sha !== 'string' || !/^[0-9a-f]{40}$/.test(b.sha) || !Array.isArray(b.siblings)) {
    throw new HubError(`${url}: the listing lacks "sha" (a 40-hex commit) or "siblings"`);
  }
  const siblings = (b.siblings as unknown[]).filter(
    (s): s is RepoFile => !!s && typeof (s as RepoFile).rfilename === 'string' && !(s as RepoFile).rfilename.split('/').includes('..'),
  );
  return { sha: b.sha, siblings };
}

function retryable(err: unknown): boolean {
  if (err instanceof HubError) return err.status === undefined || err.status >= 500 || err.status === 429;
  return true; // network errors: reset connections, terminated bodies, DNS hiccups
}

async function withRetries<T>(ctx: Ctx, what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= ctx.retries || !retryable(err)) {
        if (err instanceof HubError) throw err;
        throw new HubError(`${what}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, ctx.retryDelayMs * 2 ** attempt));
    }
  }
}

function fileDigest(path: string, algo: 'sha256' | 'gitsha1', size: number): string {
  const h = createHash(algo === 'sha256' ? 'sha256' : 'sha1');
  if (algo === 'gitsha1') h.update(`blob ${size}\0`);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * Downloads `url` to `dest` through `dest.part`: continues an existing part with a Range request, retries
 * broken transfers (resuming each time), checks size and checksum, and renames into place only when whole.
 */
export async function downloadFile(url: string, dest: string, expect: RepoFile, ctx: Ctx): Promise<void> {
  const part = `${dest}.part`;
  mkdirSync(dirname(dest), { recursive: true });
  const size = expect.lfs?.size ?? expect.size;
  await withRetries(ctx, `downloading ${url}`, async () => {
    let have = existsSync(part) ? statSync(part).size : 0;
    if (size !== undefined && have > size) {
      unlinkSync(part); // longer than the file can be: not ours to continue
      have = 0;
    }
    if (size !== undefined && have === size) return; // complete from an earlier run; verified below
    const res = await hubFetch(url, ctx, have > 0 ? { range: `bytes=${have}-` } : {});
    if (res.status === 416 && have > 0) {
      await res.body?.cancel();
      return; // nothing left to send: the part is whole (or wrong, which the check below catches)
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw statusError(res, `downloading ${expect.rfilename}`, url);
    }
    let start = 0;
    if (res.status === 206) {
      const m = /bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
      start = m ? Number(m[1]) : -1;
      if (start !== have) {
        await res.body?.cancel();
        unlinkSync(part);
        throw new HubError(`${url}: server resumed at ${start}, expected ${have}; restarting`);
      }
    }
    const len = Number(res.headers.get('content-length') ?? NaN);
    const total = Number.isFinite(len) ? start + len : size;
    const fd = openSync(part, start > 0 ? 'r+' : 'w');
    let progress: Progress | undefined;
    try {
      ftruncateSync(fd, start);
      if (ctx.progress && total !== undefined && total >= PROGRESS_MIN_BYTES) {
        progress = new Progress({ total: Math.ceil(total / 1024), label: expect.rfilename, unit: 'KiB' });
        progress.tick(Math.floor(start / 1024));
      }
      let pos = start;
      let reported = Math.floor(start / 1024);
      if (res.body) {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (let off = 0; off < value.byteLength; ) off += writeSync(fd, value, off, value.byteLength - off, pos + off);
          pos += value.byteLength;
          const kib = Math.floor(pos / 1024);
          if (progress && kib > reported) {
            progress.tick(kib - reported);
            reported = kib;
          }
        }
      }
      progress?.finish();
    } finally {
      closeSync(fd);
    }
  });
  const got = statSync(part).size;
  const fail = (msg: string): never => {
    unlinkSync(part);
    throw new HubError(`${expect.rfilename} from ${url}: ${msg}; the partial file was removed, run again to re-download`);
  };
  if (size !== undefined && got !== size) fail(`size ${got} bytes, the Hub lists ${size}`);
  if (expect.lfs?.sha256) {
    const d = fileDigest(part, 'sha256', got);
    if (d !== expect.lfs.sha256) fail(`sha256 ${d}, the Hub lists ${expect.lfs.sha256}`);
  } else if (expect.blobId && /^[0-9a-f]{40}$/.test(expect.blobId)) {
    const d = fileDigest(part, 'gitsha1', got);
    if (d !== expect.blobId) fail(`git blob id ${d}, the Hub lists ${expect.blobId}`);
  }
  renameSync(part, dest);
}

function readCompleteSnapshot(snapshot: string): string[] | undefined {
  const marker = join(snapshot, COMPLETE_MARKER);
  if (!existsSync(marker)) return undefined;
  try {
    const files = (JSON.parse(readFileSync(marker, 'utf8')) as { files?: unknown }).files;
    if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && existsSync(join(snapshot, f)))) return undefined;
    return files as string[];
  } catch {
    return undefined;
  }
}

function refFile(repoDir: string, revision: string): string {
  return join(repoDir, 'refs', encodeURIComponent(revision));
}

/**
 * A model folder for `idOrPath`: an existing local folder as it is; otherwise a Hub model id, downloaded into
 * the cache (or found there, without any request) — see the module comment for what is fetched and how.
 */
export async function resolveModel(idOrPath: string, opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const env = opts.env ?? process.env;
  if (existsSync(idOrPath) && statSync(idOrPath).isDirectory()) return { dir: idOrPath, source: 'local' };
  if (isAbsolute(idOrPath) || idOrPath.startsWith('.') || idOrPath.startsWith('~') || !isModelId(idOrPath)) {
    throw new Error(`model folder not found: ${idOrPath} (and it is not a Hub model id like "org/name")`);
  }
  const id = idOrPath;
  const revision = opts.revision ?? 'main';
  const cacheDir = opts.cacheDir ?? defaultHubCacheDir(env);
  const repoDir = repoFolder(cacheDir, id);
  const offline = opts.offline ?? (env.HF_HUB_OFFLINE === '1' || env.HF_HUB_OFFLINE === 'true');

  // Cache: the revision's commit is recorded and its snapshot is complete → no network at all.
  const cachedCommit = /^[0-9a-f]{40}$/.test(revision)
    ? revision
    : existsSync(refFile(repoDir, revision)) ? readFileSync(refFile(repoDir, revision), 'utf8').trim() : undefined;
  if (cachedCommit && (!opts.refresh || offline)) {
    const snapshot = join(repoDir, 'snapshots', cachedCommit);
    const files = readCompleteSnapshot(snapshot);
    if (files) return { dir: snapshot, source: 'cache', id, commit: cachedCommit, files };
  }
  if (offline) throw new HubError(`${id}@${revision} is not in the cache ${cacheDir} and offline mode is on (HF_HUB_OFFLINE)`);

  const endpoint = (opts.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const ctx: Ctx = {
    endpoint,
    token: opts.token ?? defaultToken(env),
    retries: opts.retries ?? 4,
    retryDelayMs: opts.retryDelayMs ?? 500,
    progress: opts.progress ?? true,
  };
  const info = await fetchRepoInfo(id, revision, ctx);
  const byName = new Map(info.siblings.map((s) => [s.rfilename, s]));
  const names = new Set(byName.keys());
  const snapshot = join(repoDir, 'snapshots', info.sha);
  const done: string[] = [];
  const get = async (file: string) => {
    const url = `${endpoint}/${encodePath(id)}/resolve/${info.sha}/${encodePath(file)}`;
    const dest = join(snapshot, ...file.split('/'));
    if (!existsSync(dest)) await downloadFile(url, dest, byName.get(file) ?? { rfilename: file }, ctx);
    done.push(file);
    return dest;
  };

  for (const f of selectRootFiles(names, id)) await get(f);
  if (done.includes(SAFETENSORS_INDEX)) {
    const idx = join(snapshot, SAFETENSORS_INDEX);
    const shards = [...new Set(parseWeightIndex(JSON.parse(readFileSync(idx, 'utf8')), idx).values())].sort();
    const missing = shards.filter((s) => !names.has(s));
    if (missing.length) throw new HubError(`${id}@${info.sha}: ${SAFETENSORS_INDEX} names shard(s) the repo lacks: ${missing.join(', ')}`);
    for (const s of shards) await get(s);
  }
  if (done.includes('modules.json')) {
    const mj = join(snapshot, 'modules.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(mj, 'utf8'));
    } catch (err) {
      throw new HubError(`${mj}: modules.json is not valid JSON (${(err as Error).message})`);
    }
    for (const m of parseModulesJson(raw, mj)) {
      if (m.path === '') continue;
      for (const f of selectModuleFiles(names, m.path)) if (!done.includes(f)) await get(f);
    }
  }
  writeFileAtomic(join(snapshot, COMPLETE_MARKER), `${JSON.stringify({ id, revision, commit: info.sha, files: done }, null, 1)}\n`);
  writeFileAtomic(refFile(repoDir, revision), info.sha);
  return { dir: snapshot, source: 'hub', id, commit: info.sha, files: done };
}
