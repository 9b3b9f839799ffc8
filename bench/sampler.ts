/**
 * `npm run bench -- sampler [--ids N] [--batch-size B] [--keep]`
 *
 * Id-level sampling speed and memory of the hybrid batch sampler on an mMARCO-layout set that the
 * benchmark writes itself (N query ids × 4 languages with uneven coverage, N/2 passages, ~2 triples
 * per query). The sampling runs in a fresh child process on the already-built index so its peak RSS
 * is that of sampling, not of generation or indexing; it runs at N and N/4 so the growth per id shows.
 *
 * Peer: there is no external library that implements this sampler, so the peer is the same
 * algorithm (shuffled permutation, per-pool forward cursors, used bitmap, α draw, uniform language
 * weighting, per-triplet pair draw) written in Python with NumPy for the shuffle —
 * bench/sampler_peer.py, run with the peer Python (POLYRET_PEER_PYTHON, else .venv/bin/python) on the same files in the same invocation.
 * Unit: seconds per million triplets (lower is better); ratio = polyret ÷ peer.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openMmarco } from '../src/data/mmarco.js';
import { IdBatchSampler } from '../src/sampling/idBatchSampler.js';
import { HybridBatchSampler } from '../src/sampling/hybridBatchSampler.js';
import { Rng } from '../src/sampling/rng.js';
import { Progress } from '../src/util/progress.js';
import { peerPython } from './lib/peer.js';

const LANGS: [string, number][] = [['en', 1.0], ['de', 0.95], ['fr', 0.9], ['ja', 0.8]];

class Writer {
  private fd: number;
  private parts: string[] = [];
  private size = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  line(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 22) this.flush();
  }
  private flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join('\n') + '\n');
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Writes ROOT/<lang>/{queries.train.tsv,collection.tsv} and ROOT/triples.train.ids.small.tsv. */
export function generateMmarco(root: string, nIds: number, seed = 1): { triples: number } {
  mkdirSync(root, { recursive: true });
  const rng = Rng.fromSeed(seed);
  const nPassages = Math.max(2, Math.floor(nIds / 2));
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  const bar = new Progress({ label: 'generating', total: LANGS.length * 2 + 1, unit: 'files' });
  for (const [lang, coverage] of LANGS) {
    mkdirSync(join(root, lang), { recursive: true });
    const q = new Writer(join(root, lang, 'queries.train.tsv'));
    // Query ids are spread out (×3 + 7) so they are not simply 0..N-1, as in MS MARCO.
    for (let i = 0; i < nIds; i++) if (lang === 'en' || rng.nextFloat() < coverage) q.line(`${i * 3 + 7}\t${lang} query ${i} ${words[i & 7]}`);
    q.close();
    bar.tick();
    const c = new Writer(join(root, lang, 'collection.tsv'));
    for (let p = 0; p < nPassages; p++) c.line(`${p}\t${lang} passage ${p} about ${words[p & 7]} and ${words[(p >> 3) & 7]}`);
    c.close();
    bar.tick();
  }
  const t = new Writer(join(root, 'triples.train.ids.small.tsv'));
  let triples = 0;
  for (let i = 0; i < nIds; i++) {
    const k = 1 + rng.nextInt(3);
    const pos = rng.nextInt(nPassages);
    for (let j = 0; j < k; j++) {
      let neg = rng.nextInt(nPassages);
      if (neg === pos) neg = (neg + 1) % nPassages;
      t.line(`${i * 3 + 7}\t${pos}\t${neg}`);
      triples++;
    }
  }
  t.close();
  bar.finish();
  return { triples };
}

interface ChildResult {
  ids: number;
  triplets: number;
  batches: number;
  seconds: number;
  maxRssMiB: number;
  liveRssMiB: number;
  rssAfterOpenMiB: number;
  textBatchesPerSec: number;
}

/** Runs in the child: open the indexed set, sample one epoch at id level, report JSON. */
function child(root: string, batchSize: number): void {
  const ds = openMmarco(root, { progress: false });
  const rssOpen = process.memoryUsage().rss / 2 ** 20;
  const s = new IdBatchSampler(ds, { batchSize, mode: 'hybrid', alpha: 0.5, seed: 1, epochs: 1 });
  let triplets = 0;
  let batches = 0;
  const t0 = process.hrtime.bigint();
  for (let b = s.next(); b; b = s.next()) {
    triplets += b.items.length;
    batches++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Peak RSS of id-level sampling, read before the text-level run adds its (not size-dependent) garbage.
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  // What sampling keeps (the child runs with --expose-gc): peak RSS also holds uncollected garbage
  // whose amount depends on GC timing and machine load.
  (globalThis as { gc?: () => void }).gc?.();
  const liveRssMiB = process.memoryUsage().rss / 2 ** 20;
  // Text level, for scale: batches with texts read from disk through the offset index.
  const ts = HybridBatchSampler.create(ds, { batchSize, mode: 'hybrid', seed: 2, epochs: 1 });
  const t1 = process.hrtime.bigint();
  let tb = 0;
  while (tb < 200 && ts.next()) tb++;
  const textBatchesPerSec = tb / (Number(process.hrtime.bigint() - t1) / 1e9);
  const r: ChildResult = {
    ids: ds.size,
    triplets,
    batches,
    seconds,
    maxRssMiB,
    liveRssMiB,
    rssAfterOpenMiB: rssOpen,
    textBatchesPerSec,
  };
  ds.close();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function runChild(root: string, batchSize: number): ChildResult {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', root, String(batchSize)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`sampler child failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ids: { type: 'string', default: '1000000' },
      'batch-size': { type: 'string', default: '100' },
      keep: { type: 'boolean', default: false },
    },
  });
  const nIds = Number(values.ids);
  const batchSize = Number(values['batch-size']);
  if (!(Number.isInteger(nIds) && nIds >= 1000)) throw new Error('--ids must be an integer ≥ 1000');
  const base = mkdtempSync(join(tmpdir(), 'polyret-bench-sampler-'));
  try {
    const sizes = [nIds, Math.floor(nIds / 4)];
    const results: ChildResult[] = [];
    for (const n of sizes) {
      const root = join(base, `n${n}`);
      const g0 = Date.now();
      const { triples } = generateMmarco(root, n);
      const g1 = Date.now();
      openMmarco(root).close();
      const g2 = Date.now();
      console.log(`${n} ids × ${LANGS.length} languages, ${triples} triples: generated in ${((g1 - g0) / 1000).toFixed(1)} s, indexed in ${((g2 - g1) / 1000).toFixed(1)} s`);
      const r = runChild(root, batchSize);
      results.push(r);
      console.log(
        `  polyret: ${r.triplets} triplets in ${r.batches} batches, ${r.seconds.toFixed(3)} s = ${(r.triplets / r.seconds / 1e6).toFixed(2)} M triplets/s; ` +
          `peak RSS ${r.maxRssMiB.toFixed(0)} MiB, after GC ${r.liveRssMiB.toFixed(0)} MiB (after open ${r.rssAfterOpenMiB.toFixed(0)} MiB); text-level ${r.textBatchesPerSec.toFixed(0)} batches/s`,
      );
    }
    const [big, small] = results as [ChildResult, ChildResult];
    const perId = ((big.liveRssMiB - small.liveRssMiB) * 2 ** 20) / (big.ids - small.ids);
    const peakPerId = ((big.maxRssMiB - small.maxRssMiB) * 2 ** 20) / (big.ids - small.ids);
    console.log(`  RSS growth (N vs N/4): ${perId.toFixed(1)} bytes per id after GC, ${peakPerId.toFixed(1)} bytes per id at peak`);
    const peerScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'sampler_peer.py');
    const p = spawnSync(peerPython(), [resolve(peerScript), join(base, `n${nIds}`), String(batchSize)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (p.status !== 0) throw new Error(`peer failed (${p.status})`);
    const peer = JSON.parse(p.stdout.trim().split('\n').pop()!) as { triplets: number; seconds: number; maxRssMiB: number };
    console.log(`  peer (Python+NumPy): ${peer.triplets} triplets, ${peer.seconds.toFixed(3)} s = ${(peer.triplets / peer.seconds / 1e6).toFixed(2)} M triplets/s; peak RSS ${peer.maxRssMiB.toFixed(0)} MiB`);
    const ours = (big.seconds / big.triplets) * 1e6;
    const theirs = (peer.seconds / peer.triplets) * 1e6;
    console.log(`sampler: polyret ${ours.toFixed(3)} s/Mtriplets, peer ${theirs.toFixed(3)} s/Mtriplets, ratio ${(ours / theirs).toFixed(3)}`);
  } finally {
    if (!values.keep) rmSync(base, { recursive: true, force: true });
    else console.log(`kept ${base}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  child(process.argv[3]!, Number(process.argv[4]));
}
