/**
 * `npm run bench -- encode [--texts N] [--base-texts N] [--batch-size N] [--threads N]`
 *
 * Throughput of polyret's encoder (what `polyret encode` runs: tokenize, length-sorted batches, CLS pooling)
 * on multilingual sentences from XQuAD-R and MLQA-R (all languages, round-robin, unique), for a random
 * 4-layer/256 BERT and a random BERT-base-size model (12 layers/768), both with mBERT's 119,547-token vocabulary.
 * Peer: the same saved weights run by PyTorch eager (bench/encode_peer.py, Hugging Face's BertModel ops) on the
 * same token ids (written to a file, so tokenizer speed does not enter the model timing), same batching, same
 * thread count, in the same invocation, in alternating rounds of `--round` texts (peer, then polyret) so that
 * load on a shared machine hits both sides alike. polyret is reported with and without tokenization; the peer without
 * (Python `tokenizers` is not installed here). Ratios are TIME ratios (polyret seconds ÷ peer seconds, model only).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeInfo, setNumThreads } from '../src/tensor/index.js';
import { dataPath } from '../src/util/dataDir.js';
import { InterleavedPeer, THREAD_FLAGS, describeThreads, peerEnv, peerLabel, threadSettings, type ThreadSettings } from './lib/peer.js';
import { loadLareqa } from '../src/eval/tasks/lareqaData.js';
import { createEncoderFromScratch, loadSentenceEncoder, saveSentenceEncoder } from '../src/models/index.js';
import { Progress } from '../src/util/progress.js';

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

interface Result { name: string; texts: number; polyretModel: number; polyretTokenize: number; peer: number; maxDiff: number; rounds: number }

function readNpyF32(path: string): Float32Array {
  const npy = readFileSync(path);
  const hlen = npy.readUInt16LE(8);
  const body = npy.subarray(10 + hlen);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

async function runOne(name: string, layers: number, hidden: number, heads: number, texts: string[], batchSize: number, ts: ThreadSettings, round: number, work: string): Promise<Result> {
  const dir = join(work, name.replace(/\W/g, '_'));
  const vocabFrom = dataPath('tokenizers', 'bert-base-multilingual-cased', 'tokenizer.json');
  const fresh = createEncoderFromScratch({ arch: 'bert', layers, hidden, heads, vocabFrom, maxLength: 128, seed: 1 });
  saveSentenceEncoder(fresh, dir);
  fresh.dispose();
  // Encode from the saved folder, as `polyret encode --model DIR` does.
  const enc = loadSentenceEncoder(dir);
  const t0 = performance.now();
  const rows = enc.tokenize(texts);
  const tokenize = (performance.now() - t0) / 1000;
  const tokens = rows.reduce((a, r) => a + r.length, 0);
  console.log(`${name}: ${texts.length} texts, ${tokens} tokens (mean ${(tokens / texts.length).toFixed(1)}), ${(enc.transformer.numParameters() / 1e6).toFixed(1)}M parameters`);
  const peers = ts.peers.map((ps) => new InterleavedPeer('encode_peer.py', ['--model', dir, '--batch-size', String(batchSize), '--threads', String(ps.aten)], peerEnv(ps)));
  for (const p of peers) await p.ready();
  // Warm-up batch on each side (allocator, thread pool), not timed.
  const warmIds = join(work, 'warm.ids.json');
  writeFileSync(warmIds, JSON.stringify(rows.slice(0, batchSize)));
  for (const p of peers) await p.request(JSON.stringify({ ids: warmIds, out: join(work, 'warm.npy') }));
  enc.encodeIds(rows.slice(0, batchSize), { batchSize, pooling: 'cls' });
  // Rounds of `round` texts, each peer then polyret: on a shared machine the load hits all sides alike.
  const progress = new Progress({ total: rows.length, label: `${name} (polyret and peer by turns)`, unit: 'texts' });
  let model = 0;
  const peerSeconds = peers.map(() => 0);
  let maxDiff = 0;
  let rounds = 0;
  for (let start = 0; start < rows.length; start += round) {
    const part = rows.slice(start, start + round);
    const idsPath = join(work, 'round.ids.json');
    const outPath = join(work, 'round.npy');
    writeFileSync(idsPath, JSON.stringify(part));
    for (const [i, p] of peers.entries()) {
      const r = await p.request<{ seconds: number }>(JSON.stringify({ ids: idsPath, out: outPath }));
      peerSeconds[i]! += r.seconds;
    }
    const t1 = performance.now();
    const out = enc.encodeIds(part, { batchSize, pooling: 'cls' });
    model += (performance.now() - t1) / 1000;
    const ref = readNpyF32(outPath);
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - out.vectors[i]!));
    rounds += 1;
    progress.tick(part.length, `polyret ${model.toFixed(1)} s, peer ${peerSeconds.map((x) => x.toFixed(1)).join(' / ')} s`);
  }
  progress.finish();
  for (const p of peers) p.close();
  enc.dispose();
  rmSync(dir, { recursive: true, force: true });
  const bestIdx = peerSeconds.indexOf(Math.min(...peerSeconds));
  if (peers.length > 1) console.log(`${name}: PyTorch ${peerSeconds.map((x, i) => `${x.toFixed(2)} s (${peerLabel(ts.peers[i]!)})`).join(', ')}`);
  const peerBest = peerSeconds[bestIdx]!;
  return { name, texts: texts.length, polyretModel: model, polyretTokenize: tokenize, peer: peerBest, maxDiff, rounds };
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      texts: { type: 'string', default: '10000' },
      'base-texts': { type: 'string', default: '1000' },
      'batch-size': { type: 'string', default: '32' },
      ...THREAD_FLAGS,
      'skip-base': { type: 'boolean', default: false },
      round: { type: 'string', default: '500' },
    },
  });
  // Inference of these encoders is fastest with 1 ATen thread and OpenBLAS on all cores (measured; see docs).
  const ts = threadSettings(values, 1);
  const threads = ts.threads;
  const batchSize = Number(values['batch-size']);
  setNumThreads(ts.atenThreads, threads);
  const info = computeInfo();
  console.log(`libtorch ${info.torch}, BLAS ${info.blas ?? '?'}; peer: PyTorch (Debian python3-torch)`);
  console.log(describeThreads(ts));
  const all = sentences(Math.max(Number(values.texts), Number(values['base-texts'])));
  const work = mkdtempSync(join(tmpdir(), 'polyret-bench-encode-'));
  const results: Result[] = [];
  try {
    const round = Number(values.round);
    results.push(await runOne('L4/H256', 4, 256, 4, all.slice(0, Number(values.texts)), batchSize, ts, round, work));
    if (!values['skip-base']) results.push(await runOne('L12/H768', 12, 768, 12, all.slice(0, Number(values['base-texts'])), batchSize, ts, round, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const r of results) {
    const tp = r.texts / r.polyretModel;
    const tw = r.texts / (r.polyretModel + r.polyretTokenize);
    const pp = r.texts / r.peer;
    console.log(`encode ${r.name} (${r.texts} texts in ${r.rounds} alternating rounds, max |Δ| vs peer ${r.maxDiff.toExponential(1)}): polyret ${tp.toFixed(1)} texts/s model only ` +
      `(${(1000 * r.polyretModel / r.texts).toFixed(2)} s/1k), ${tw.toFixed(1)} texts/s with tokenization (tokenize ${r.polyretTokenize.toFixed(2)} s); ` +
      `peer ${pp.toFixed(1)} texts/s (${(1000 * r.peer / r.texts).toFixed(2)} s/1k), time ratio ${(r.polyretModel / r.peer).toFixed(3)}`);
  }
  const p = results.reduce((a, r) => a + r.polyretModel, 0);
  const q = results.reduce((a, r) => a + r.peer, 0);
  console.log(`encode: polyret ${p.toFixed(2)} s, peer ${q.toFixed(2)} s, ratio ${(p / q).toFixed(3)}`);
}
