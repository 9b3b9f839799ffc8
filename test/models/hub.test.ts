import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { writeSafetensors } from '../../src/tensor/safetensors.js';
import { HubError, defaultHubCacheDir, isModelId, resolveModel } from '../../src/models/hub.js';
import { locateModelFiles } from '../../src/models/modelFiles.js';

const TOKENIZER_FIX = join(projectRoot(), 'test', 'fixtures', 'tokenizer', 'tiny-unigram');
const COMMIT = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';

interface Req { method: string; url: string; range?: string; auth?: string }

/**
 * A stand-in for the Hub on 127.0.0.1: the listing API and resolve URLs over fixture folders, with LFS files
 * redirected to a "CDN" path like the real Hub, HTTP Range support, and hooks to break transfers.
 */
class FakeHub {
  readonly requests: Req[] = [];
  readonly interruptOnce = new Set<string>();
  readonly corrupt = new Set<string>();
  readonly listedButMissing = new Set<string>();
  private server!: Server;
  endpoint = '';

  constructor(readonly repos: Map<string, string>) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private files(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d).sort()) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else out.push(relative(dir, p).split('\\').join('/'));
      }
    };
    walk(dir);
    return out;
  }

  private static isLfs(f: string): boolean {
    return f.endsWith('.safetensors') || f.endsWith('.bin');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = decodeURIComponent(req.url ?? '');
    this.requests.push({ method: req.method ?? '', url, range: req.headers.range, auth: req.headers.authorization });
    const notFound = (code: string) => {
      res.writeHead(404, { 'x-error-code': code, 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: code }));
    };
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^?]+)\?blobs=true$/.exec(url);
    if (m) {
      const dir = this.repos.get(m[1]!);
      if (!dir) return notFound('RepoNotFound');
      if (m[2] !== 'main' && m[2] !== COMMIT) return notFound('RevisionNotFound');
      const siblings = this.files(dir).map((f) => {
        const data = readFileSync(join(dir, f));
        const blobId = createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
        const e: Record<string, unknown> = { rfilename: f, size: data.length, blobId };
        if (FakeHub.isLfs(f)) e.lfs = { sha256: createHash('sha256').update(data).digest('hex'), size: data.length, pointerSize: 134 };
        return e;
      });
      for (const f of this.listedButMissing) siblings.push({ rfilename: f, size: 10 });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: m[1], sha: COMMIT, siblings }));
      return;
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([0-9a-f]{40})\/(.+)$/.exec(url);
    if (m) {
      const dir = this.repos.get(m[1]!);
      const file = m[3]!;
      if (!dir || m[2] !== COMMIT || !existsSync(join(dir, file))) return notFound('EntryNotFound');
      if (FakeHub.isLfs(file)) {
        res.writeHead(302, { location: `/cdn/${m[1]}/${file}` });
        res.end();
        return;
      }
      return this.serve(req, res, join(dir, file), file);
    }
    m = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url);
    if (m && this.repos.has(m[1]!)) return this.serve(req, res, join(this.repos.get(m[1]!)!, m[2]!), m[2]!);
    notFound('Unknown');
  }

  private serve(req: IncomingMessage, res: ServerResponse, path: string, file: string): void {
    let data = readFileSync(path);
    if (this.corrupt.has(file)) {
      data = Buffer.from(data);
      data[data.length - 1] ^= 0xff;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (range) {
      start = Number(range[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'content-length': data.length - start });
    } else {
      res.writeHead(200, { 'content-length': data.length });
    }
    const body = data.subarray(start);
    if (this.interruptOnce.delete(file)) {
      // Send about 40% then drop the connection, as a network failure would.
      res.write(body.subarray(0, Math.floor(body.length * 0.4)), () => setTimeout(() => res.socket?.destroy(), 30));
      return;
    }
    res.end(body);
  }
}

let root = '';
let hub: FakeHub;
const ST = 'org/st-model';
const SHARDED = 'org/sharded';
const BINONLY = 'org/bin-only';

function json(p: string, v: unknown): void {
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, JSON.stringify(v));
}

function f32(n: number, seed: number): Uint8Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37 + seed);
  return new Uint8Array(a.buffer);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'polyret-hub-'));
  // A sentence-transformers repo with files polyret must skip (README, pickles, ONNX).
  const st = join(root, 'repos', 'st');
  json(join(st, 'config.json'), { model_type: 'bert', vocab_size: 37, hidden_size: 8 });
  writeSafetensors(join(st, 'model.safetensors'), [
    { name: 'embeddings.word_embeddings.weight', dtype: 'F32', shape: [37, 8], data: f32(37 * 8, 1) },
    { name: 'big', dtype: 'F32', shape: [64, 1024], data: f32(64 * 1024, 2) },
  ]);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(st, f), readFileSync(join(TOKENIZER_FIX, f)));
  json(join(st, 'special_tokens_map.json'), { pad_token: '<pad>' });
  json(join(st, 'sentence_bert_config.json'), { max_seq_length: 16, do_lower_case: false });
  json(join(st, 'modules.json'), [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
    { idx: 3, name: '3', path: '3_Normalize', type: 'sentence_transformers.models.Normalize' },
  ]);
  json(join(st, '1_Pooling', 'config.json'), { word_embedding_dimension: 8, pooling_mode_cls_token: true });
  json(join(st, '2_Dense', 'config.json'), { in_features: 8, out_features: 8, activation_function: 'torch.nn.modules.activation.Tanh' });
  writeSafetensors(join(st, '2_Dense', 'model.safetensors'), [{ name: 'linear.weight', dtype: 'F32', shape: [8, 8], data: f32(64, 3) }]);
  writeFileSync(join(st, '2_Dense', 'pytorch_model.bin'), randomBytes(100));
  writeFileSync(join(st, 'pytorch_model.bin'), randomBytes(1000));
  writeFileSync(join(st, 'README.md'), '# model card\n');
  mkdirSync(join(st, 'onnx'));
  writeFileSync(join(st, 'onnx', 'model.onnx'), randomBytes(50));

  const sh = join(root, 'repos', 'sharded');
  json(join(sh, 'config.json'), { model_type: 'xlm-roberta', vocab_size: 37 });
  writeSafetensors(join(sh, 'model-00001-of-00002.safetensors'), [{ name: 'a', dtype: 'F32', shape: [4], data: f32(4, 4) }]);
  writeSafetensors(join(sh, 'model-00002-of-00002.safetensors'), [{ name: 'b', dtype: 'F32', shape: [3], data: f32(3, 5) }]);
  json(join(sh, 'model.safetensors.index.json'), {
    metadata: { total_size: 28 },
    weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
  });

  const bin = join(root, 'repos', 'bin');
  json(join(bin, 'config.json'), { model_type: 'bert' });
  writeFileSync(join(bin, 'pytorch_model.bin'), randomBytes(10));

  hub = new FakeHub(new Map([[ST, st], [SHARDED, sh], [BINONLY, bin]]));
  await hub.start();
});

after(async () => {
  await hub.stop();
  rmSync(root, { recursive: true, force: true });
});

function freshCache(): string {
  return mkdtempSync(join(root, 'cache-'));
}

const quiet = { progress: false, retryDelayMs: 5 };

function sameBytes(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

test('downloads the standard files of a sentence-transformers repo, skipping the rest, then hits the cache', async () => {
  const cacheDir = freshCache();
  const n0 = hub.requests.length;
  const r = await resolveModel(ST, { ...quiet, cacheDir, endpoint: hub.endpoint, token: 'hf_secret' });
  assert.equal(r.source, 'hub');
  assert.equal(r.commit, COMMIT);
  assert.equal(r.dir, join(cacheDir, 'models--org--st-model', 'snapshots', COMMIT));
  const want = [
    '1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors', 'config.json', 'model.safetensors', 'modules.json',
    'sentence_bert_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json',
  ];
  assert.deepEqual([...r.files!].sort(), want);
  const src = join(root, 'repos', 'st');
  for (const f of want) assert.ok(sameBytes(join(r.dir, f), join(src, f)), f);
  for (const f of ['README.md', 'pytorch_model.bin', '2_Dense/pytorch_model.bin', 'onnx/model.onnx']) assert.ok(!existsSync(join(r.dir, f)), f);
  // Every request carried the token; LFS weights went through the redirect.
  const mine = hub.requests.slice(n0);
  assert.ok(mine.every((q) => q.auth === 'Bearer hf_secret'));
  assert.ok(mine.some((q) => q.url === `/cdn/${ST}/model.safetensors`));
  assert.ok(!mine.some((q) => q.url.includes('README') || q.url.includes('pytorch_model.bin')), 'skipped files are never requested');
  // The result is a valid model folder.
  const files = locateModelFiles(r.dir);
  assert.deepEqual(files.weights, [join(r.dir, 'model.safetensors')]);
  assert.deepEqual(files.modules?.map((m) => m.path), ['', '1_Pooling', '2_Dense', '3_Normalize']);
  assert.equal(files.tokenizer, join(r.dir, 'tokenizer.json'));

  // Second call: served from the cache without a single request.
  const n1 = hub.requests.length;
  const again = await resolveModel(ST, { ...quiet, cacheDir, endpoint: hub.endpoint });
  assert.equal(again.source, 'cache');
  assert.equal(again.dir, r.dir);
  assert.equal(hub.requests.length, n1);
  // Also by commit, and offline.
  assert.equal((await resolveModel(ST, { ...quiet, cacheDir, endpoint: hub.endpoint, revision: COMMIT })).source, 'cache');
  assert.equal((await resolveModel(ST, { ...quiet, cacheDir, env: { HF_HUB_OFFLINE: '1' } })).source, 'cache');
  assert.equal(hub.requests.length, n1);
  // refresh asks the Hub again but downloads nothing already there.
  await resolveModel(ST, { ...quiet, cacheDir, endpoint: hub.endpoint, refresh: true });
  assert.deepEqual(hub.requests.slice(n1).map((q) => q.url), [`/api/models/${ST}/revision/main?blobs=true`]);
});

test('an interrupted transfer is resumed with an HTTP Range request (same call, by retry)', async () => {
  const cacheDir = freshCache();
  hub.interruptOnce.add('model.safetensors');
  const n0 = hub.requests.length;
  const r = await resolveModel(ST, { ...quiet, cacheDir, endpoint: hub.endpoint, retries: 2 });
  const cdn = hub.requests.slice(n0).filter((q) => q.url === `/cdn/${ST}/model.safetensors`);
  assert.equal(cdn.length, 2, 'one broken transfer, one resumed');
  assert.equal(cdn[0]!.range, undefined);
  const m = /^bytes=(\d+)-$/.exec(cdn[1]!.range ?? '');
  assert.ok(m && Number(m[1]) > 0, `resumed from a positive offset, got ${cdn[1]!.range}`);
  assert.ok(sameBytes(join(r.dir, 'model.safetensors'), join(root, 'repos', 'st', 'model.safetensors')));
  assert.ok(!existsSync(join(r.dir, 'model.safetensors.part')));
});

test('an interrupted download leaves a .part that the next run continues', async () => {
  const cacheDir = freshCache();
  hub.interruptOnce.add('model.safetensors');
  await assert.rejects(resolveModel(ST, { ...quiet, cacheDir, endpoint: hub.endpoint, retries: 0 }), /downloading .*model\.safetensors/);
  const snap = join(cacheDir, 'models--org--st-model', 'snapshots', COMMIT);
  const part = join(snap, 'model.safetensors.part');
  const full = statSync(join(root, 'repos', 'st', 'model.safetensors')).size;
  const partial = statSync(part).size;
  assert.ok(partial > 0 && partial < full, `partial ${partial} of ${full}`);
  assert.ok(!existsSync(join(snap, 'model.safetensors')), 'no final file before it is whole');
  // Not cached as complete: the next call asks the Hub and resumes.
  const n0 = hub.requests.length;
  const r = await resolveModel(ST, { ...quiet, cacheDir, endpoint: hub.endpoint, retries: 0 });
  assert.equal(r.source, 'hub');
  const cdn = hub.requests.slice(n0).filter((q) => q.url === `/cdn/${ST}/model.safetensors`);
  assert.deepEqual(cdn.map((q) => q.range), [`bytes=${partial}-`]);
  assert.ok(sameBytes(join(r.dir, 'model.safetensors'), join(root, 'repos', 'st', 'model.safetensors')));
  // Files finished in the first run were not fetched again.
  assert.ok(!hub.requests.slice(n0).some((q) => q.url.endsWith('/config.json') && !q.url.includes('_')));
});

test('sharded weights: the index and every shard', async () => {
  const cacheDir = freshCache();
  const r = await resolveModel(SHARDED, { ...quiet, cacheDir, endpoint: hub.endpoint });
  assert.deepEqual([...r.files!].sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
  const files = locateModelFiles(r.dir);
  assert.equal(files.weights.length, 2);
  assert.equal(files.weightMap?.get('b'), join(r.dir, 'model-00002-of-00002.safetensors'));
});

test('errors: unknown repo or revision, listed file that 404s, checksum mismatch, pickle-only repo', async () => {
  const cacheDir = freshCache();
  const o = { ...quiet, cacheDir, endpoint: hub.endpoint };
  await assert.rejects(resolveModel('org/nope', o), (e: unknown) => e instanceof HubError && e.status === 404 && /listing org\/nope@main: HTTP 404 .*no such repo/.test(e.message));
  await assert.rejects(resolveModel(ST, { ...o, revision: 'v9' }), /HTTP 404 .*no such revision/);
  // A file the listing names but resolve does not have (the sharded repo has no sentence_bert_config.json).
  hub.listedButMissing.add('sentence_bert_config.json');
  const lonely = freshCache();
  const sbc = join(root, 'repos', 'sharded', 'sentence_bert_config.json');
  try {
    await assert.rejects(
      resolveModel(SHARDED, { ...o, cacheDir: lonely }),
      (e: unknown) => e instanceof HubError && /downloading sentence_bert_config\.json: HTTP 404 from .*\/org\/sharded\/resolve\/.*sentence_bert_config\.json \(no such file in the repo\)/.test(e.message),
    );
  } finally {
    hub.listedButMissing.clear();
  }
  assert.ok(!existsSync(sbc));
  hub.corrupt.add('model.safetensors');
  const c2 = freshCache();
  try {
    await assert.rejects(resolveModel(ST, { ...o, cacheDir: c2 }), /model\.safetensors from .*: sha256 [0-9a-f]{64}, the Hub lists [0-9a-f]{64}; the partial file was removed/);
  } finally {
    hub.corrupt.clear();
  }
  const snap = join(c2, 'models--org--st-model', 'snapshots', COMMIT);
  assert.ok(!existsSync(join(snap, 'model.safetensors')) && !existsSync(join(snap, 'model.safetensors.part')));
  await assert.rejects(resolveModel(BINONLY, o), /org\/bin-only: the repo has weights only as PyTorch pickles/);
  await assert.rejects(resolveModel('org/never-cached', { ...o, offline: true }), /not in the cache .* offline mode/);
});

test('local folders are used as they are; paths that do not exist are not sent to the Hub', async () => {
  const n0 = hub.requests.length;
  const local = join(root, 'repos', 'st');
  assert.deepEqual(await resolveModel(local, { endpoint: hub.endpoint }), { dir: local, source: 'local' });
  await assert.rejects(resolveModel('./no/such/folder', { endpoint: hub.endpoint }), /model folder not found: \.\/no\/such\/folder/);
  await assert.rejects(resolveModel(join(root, 'missing'), { endpoint: hub.endpoint }), /model folder not found/);
  assert.equal(hub.requests.length, n0);
  assert.ok(isModelId('sentence-transformers/LaBSE') && isModelId('xlm-roberta-base'));
  assert.ok(!isModelId('a/b/c') && !isModelId('../x') && !isModelId(''));
});

test('environment: HF_ENDPOINT, HF_TOKEN and HF_HOME', async () => {
  const home = mkdtempSync(join(root, 'hfhome-'));
  const env = { HF_ENDPOINT: hub.endpoint, HF_TOKEN: 'hf_env', HF_HOME: home };
  assert.equal(defaultHubCacheDir(env), join(home, 'polyret-hub'));
  const n0 = hub.requests.length;
  const r = await resolveModel(SHARDED, { ...quiet, env });
  assert.equal(r.dir, join(home, 'polyret-hub', 'models--org--sharded', 'snapshots', COMMIT));
  assert.ok(hub.requests.slice(n0).every((q) => q.auth === 'Bearer hf_env'));
  // The token file written by `huggingface-cli login` is used when no variable is set.
  writeFileSync(join(home, 'token'), 'hf_file\n');
  const n1 = hub.requests.length;
  await resolveModel(SHARDED, { ...quiet, env: { HF_ENDPOINT: hub.endpoint, HF_HOME: home }, refresh: true });
  assert.equal(hub.requests[n1]!.auth, 'Bearer hf_file');
});

test('locateModelFiles: clear errors for broken folders', () => {
  const d = mkdtempSync(join(root, 'local-'));
  assert.throws(() => locateModelFiles(join(d, 'x')), /model folder not found/);
  assert.throws(() => locateModelFiles(d), new RegExp(`${d}: config.json missing`));
  json(join(d, 'config.json'), {});
  assert.throws(() => locateModelFiles(d), /no weights \(model\.safetensors or model\.safetensors\.index\.json\)/);
  writeFileSync(join(d, 'pytorch_model.bin'), 'x');
  assert.throws(() => locateModelFiles(d), /only PyTorch pickle weights \(pytorch_model\.bin\)/);
  json(join(d, 'model.safetensors.index.json'), { weight_map: { a: 'model-1.safetensors', b: 'model-2.safetensors' } });
  writeFileSync(join(d, 'model-1.safetensors'), 'x');
  assert.throws(() => locateModelFiles(d), /model\.safetensors\.index\.json: shard file\(s\) missing .*: model-2\.safetensors/);
  writeFileSync(join(d, 'model-2.safetensors'), 'x');
  writeFileSync(join(d, 'modules.json'), '{"idx": 0}');
  assert.throws(() => locateModelFiles(d), /modules\.json: modules\.json must be a JSON array/);
  json(join(d, 'modules.json'), [{ idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' }]);
  assert.throws(() => locateModelFiles(d), /module 1 \(sentence_transformers\.models\.Pooling\) folder '1_Pooling' missing/);
  mkdirSync(join(d, '1_Pooling'));
  assert.equal(locateModelFiles(d).weights.length, 2);
});
