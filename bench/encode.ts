/**
 * `npm run bench -- encode [options]` (`--help` lists them)
 *
 * Encoding throughput, polyret's `encode` (what `polyret encode` runs: tokenize, length-sorted batches, the folder's
 * pooling) against sentence-transformers' `SentenceTransformer(folder).encode` on PyTorch 2.13 (bench/encode_peer.py),
 * on the same folder and the same multilingual sentences from XQuAD-R and MLQA-R (all languages, round-robin, unique),
 * same batch size, max length (the folder's) and pooling (CLS), for a random 4-layer/256 BERT and a random
 * BERT-base-size model (12 layers/768), both with mBERT's 119,547-token vocabulary. Both sides' times include
 * tokenisation (polyret's share is also printed). fp32 and bf16 rows (polyret's autocast, the peer's torch.autocast).
 * Rounds of `--round` texts alternate (each peer process, then polyret) so that load on a shared machine hits all alike.
 * Ratios are time ratios (polyret seconds ÷ peer seconds); the last line is for the first precision, both models summed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { autocast, computeInfo, setNumThreads } from '../src/tensor/index.js';
import { dataPath } from '../src/util/dataDir.js';
import { InterleavedPeer, THREAD_FLAGS, THREAD_FLAGS_HELP, peerPython, describeThreads, peerEnv, peerLabel, ratioLine, threadSettings, type ThreadSettings } from './lib/peer.js';
import { parsePrecisions, type BenchPrecision, bf16BenchNote } from './lib/precision.js';
import { writeTokenizerConfig } from './lib/stFolder.js';
import { loadLareqa } from '../src/eval/tasks/lareqaData.js';
import { createEncoderFromScratch, loadSentenceEncoder, saveSentenceEncoder } from '../src/models/index.js';
import { Progress } from '../src/util/progress.js';

const HELP = `npm run bench -- encode [options]
  --texts N          texts for the L4/H256 model (default 2000)
  --base-texts N     texts for the L12/H768 model (default 100)
  --skip-base        only the L4/H256 model
  --batch-size N     texts per forward pass, both sides (default 32)
  --round N          texts per alternating round (default 500)
  --precision LIST   fp32 and/or bf16, comma-separated (default fp32,bf16)
${THREAD_FLAGS_HELP}
polyret runs as \`polyret encode\` does by default: all cores for ATen and for OpenBLAS (--aten-threads changes ATen's).
Peer Python: POLYRET_PEER_PYTHON, else .venv/bin/python (bash scripts/setup-python.sh).`;

/** Up to n unique sentences, taking languages in turn so every script is represented. */
export function sentences(n: number): string[] {
  const pools: string[][] = [];
  for (const task of ['xquad-r', 'mlqa-r'] as const) {
    for (const l of loadLareqa(task).languages) pools.push(l.candidates.map((c) => c.sentence.trim()).filter((s) => s.length > 0));
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    let any = false;
    for (const p of pools) {
      if (i < p.length) {
        any = true;
        if (!seen.has(p[i]!) && out.length < n) {
          seen.add(p[i]!);
          out.push(p[i]!);
        }
      }
    }
    if (!any) break;
  }
  return out;
}

interface Result {
  name: string; precision: BenchPrecision; texts: number; polyret: number; polyretTokenize: number; peers: number[]; maxDiff: number; rounds: number;
}

interface PeerHello { torch: string; transformers: string; sentenceTransformers: string; threads: number; maxSeqLength: number; attention: string }

function readNpyF32(path: string): Float32Array {
  const npy = readFileSync(path);
  const hlen = npy.readUInt16LE(8);
  const body = npy.subarray(10 + hlen);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

async function runModel(name: string, layers: number, hidden: number, heads: number, texts: string[], batchSize: number, ts: ThreadSettings,
  round: number, precisions: BenchPrecision[], work: string): Promise<Result[]> {
  const dir = join(work, name.replace(/\W/g, '_'));
  const vocabFrom = dataPath('tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json');
  const fresh = createEncoderFromScratch({ arch: 'bert', layers, hidden, heads, vocabFrom, maxLength: 128, seed: 1, pooling: 'cls' });
  saveSentenceEncoder(fresh, dir);
  fresh.dispose();
  writeTokenizerConfig(dir);
  // Encode from the saved folder, as `polyret encode --model DIR` does.
  const enc = loadSentenceEncoder(dir);
  const tokens = enc.tokenize(texts).reduce((a, r) => a + r.length, 0);
  console.log(`${name}: ${texts.length} texts, ${tokens} tokens (mean ${(tokens / texts.length).toFixed(1)}), ${(enc.transformer.numParameters() / 1e6).toFixed(1)}M parameters, max length ${enc.maxSeqLength}`);
  const peers = ts.peers.map((ps) => new InterleavedPeer('encode_peer.py', ['--model', dir, '--batch-size', String(batchSize), '--threads', String(ps.aten)], peerEnv(ps)));
  const results: Result[] = [];
  try {
    let hello: PeerHello | null = null;
    for (const p of peers) hello = await p.ready<PeerHello>();
    console.log(`${name} peer: sentence-transformers ${hello!.sentenceTransformers}, transformers ${hello!.transformers} (${hello!.attention} attention), torch ${hello!.torch}, max length ${hello!.maxSeqLength}`);
    const textsPath = join(work, 'round.texts.json');
    const outPath = join(work, 'round.npy');
    for (const precision of precisions) {
      const run = <T>(fn: () => T): T => (precision === 'bf16' ? autocast('cpu', 'bfloat16', fn) : fn());
      // Warm-up batch on each side (allocator, thread pool, lazy initialisation), not timed.
      writeFileSync(textsPath, JSON.stringify(texts.slice(0, batchSize)));
      for (const p of peers) await p.request(JSON.stringify({ texts: textsPath, out: outPath, precision }));
      run(() => enc.encode(texts.slice(0, batchSize), { batchSize }));
      const progress = new Progress({ total: texts.length, label: `${name} ${precision} (polyret and peer by turns)`, unit: 'texts' });
      const r: Result = { name, precision, texts: texts.length, polyret: 0, polyretTokenize: 0, peers: peers.map(() => 0), maxDiff: 0, rounds: 0 };
      for (let start = 0; start < texts.length; start += round) {
        const part = texts.slice(start, start + round);
        writeFileSync(textsPath, JSON.stringify(part));
        for (const [i, p] of peers.entries()) {
          const a = await p.request<{ seconds: number }>(JSON.stringify({ texts: textsPath, out: outPath, precision }));
          r.peers[i]! += a.seconds;
        }
        const t0 = performance.now();
        const rows = enc.tokenize(part);
        const t1 = performance.now();
        const out = run(() => enc.encodeIds(rows, { batchSize }));
        const t2 = performance.now();
        r.polyret += (t2 - t0) / 1000;
        r.polyretTokenize += (t1 - t0) / 1000;
        const ref = readNpyF32(outPath);
        if (ref.length !== out.vectors.length) throw new Error(`peer returned ${ref.length} values, polyret ${out.vectors.length}`);
        for (let i = 0; i < ref.length; i++) r.maxDiff = Math.max(r.maxDiff, Math.abs(ref[i]! - out.vectors[i]!));
        r.rounds += 1;
        progress.tick(part.length, `polyret ${r.polyret.toFixed(1)} s, peer ${r.peers.map((x) => x.toFixed(1)).join(' / ')} s`);
      }
      progress.finish();
      if (peers.length > 1) console.log(`${name} ${precision}: peer ${r.peers.map((x, i) => `${x.toFixed(2)} s (${peerLabel(ts.peers[i]!)})`).join(', ')}`);
      results.push(r);
    }
  } finally {
    for (const p of peers) p.close();
    enc.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      texts: { type: 'string', default: '2000' },
      'base-texts': { type: 'string', default: '100' },
      'batch-size': { type: 'string', default: '32' },
      ...THREAD_FLAGS,
      'skip-base': { type: 'boolean', default: false },
      round: { type: 'string', default: '500' },
      precision: { type: 'string', default: 'fp32,bf16' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  peerPython(); // fails now, with what to do, when there is no peer Python
  // polyret's side runs with `polyret encode`'s default threads, all cores for both pools. (It once ran 1 ATen thread
  // on OpenBLAS builds, 3-4 % faster for fp32 on an AVX2 EPYC; but bf16 products go through oneDNN on ATen's own
  // threads, so that halved bf16's speed: on a Zen 5 EPYC, L12/H768 bf16 ran at 1.58× the peer's time with 1 ATen
  // thread and 1.03× with 2, and fp32 was faster with 2 as well. docs/tensor-engine.md#threads.)
  const ts = threadSettings(values);
  const batchSize = Number(values['batch-size']);
  const precisions = parsePrecisions(values.precision);
  setNumThreads(ts.atenThreads, ts.threads);
  const info = computeInfo();
  console.log(`polyret: libtorch ${info.torch}, BLAS ${info.blas ?? '?'}; peer: sentence-transformers on the peer Python's torch`);
  console.log(describeThreads(ts));
  const all = sentences(Math.max(Number(values.texts), Number(values['base-texts'])));
  const work = mkdtempSync(join(tmpdir(), 'polyret-bench-encode-'));
  const results: Result[] = [];
  try {
    const round = Number(values.round);
    results.push(...await runModel('L4/H256', 4, 256, 4, all.slice(0, Number(values.texts)), batchSize, ts, round, precisions, work));
    if (!values['skip-base']) results.push(...await runModel('L12/H768', 12, 768, 12, all.slice(0, Number(values['base-texts'])), batchSize, ts, round, precisions, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (precisions.includes('bf16')) console.log(bf16BenchNote());
  for (const r of results) {
    const best = Math.min(...r.peers);
    const bi = r.peers.indexOf(best);
    console.log(`encode ${r.name} ${r.precision} (${r.texts} texts in ${r.rounds} alternating rounds, max |Δ| vs peer ${r.maxDiff.toExponential(1)}): ` +
      `polyret ${(r.texts / r.polyret).toFixed(1)} texts/s (${(1000 * r.polyret / r.texts).toFixed(2)} s/1k, tokenisation ${(100 * r.polyretTokenize / r.polyret).toFixed(0)}% of it); ` +
      `peer ${(r.texts / best).toFixed(1)} texts/s (${(1000 * best / r.texts).toFixed(2)} s/1k, ${peerLabel(ts.peers[bi]!)}), time ratio ${(r.polyret / best).toFixed(3)}`);
  }
  for (const precision of precisions) {
    const rs = results.filter((r) => r.precision === precision);
    const p = rs.reduce((a, r) => a + 1000 * r.polyret / r.texts, 0);
    const q = rs.reduce((a, r) => a + 1000 * Math.min(...r.peers) / r.texts, 0);
    console.log(ratioLine(`encode ${precision}`, p, q, 's/1k'));
  }
  const rs = results.filter((r) => r.precision === precisions[0]);
  console.log(ratioLine('encode', rs.reduce((a, r) => a + 1000 * r.polyret / r.texts, 0), rs.reduce((a, r) => a + 1000 * Math.min(...r.peers) / r.texts, 0), 's/1k'));
}
