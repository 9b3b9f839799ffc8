/**
 * `npm run bench -- eval-xquad-r [--dim 768] [--keep DIR]`: the full XQuAD-R protocol (121 X→Y settings + 11
 * multilingual, full-pool mAP, R@1, R@10, rank distance) on random precomputed embeddings, timed end to end
 * from the embeddings file (read, score on the tensor engine, metrics).
 *
 * Peer: bench/eval_xquad_r_peer.py, the same protocol in Python — numpy matmul for the scores and
 * scikit-learn's average_precision_score per query, as LAReQA's evaluation does — run in the same invocation
 * with the peer Python (POLYRET_PEER_PYTHON, else .venv/bin/python) on the same embeddings file. Their mAP macro averages are compared as a cross-check.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLareqa } from '../src/eval/tasks/lareqaData.js';
import { writeEmbeddings, EmbeddingsFile } from '../src/eval/embeddings.js';
import { runEval } from '../src/eval/runEval.js';
import { dataDir, projectRoot } from '../src/util/dataDir.js';
import { Rng } from '../src/sampling/rng.js';
import { getNumThreads } from '../src/tensor/index.js';
import { peerPython } from './lib/peer.js';

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { dim: { type: 'string', default: '768' }, keep: { type: 'string' } } });
  const dim = Number(values.dim);
  const ds = loadLareqa('xquad-r');
  const ids = ds.languages.flatMap((l) => [...l.questions.map((q) => q.id), ...l.candidates.map((c) => c.id)]);
  const rng = Rng.fromSeed(42);
  const v = new Float32Array(ids.length * dim);
  for (let i = 0; i < v.length; i++) v[i] = rng.nextFloat() - 0.5;
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'polyret-bench-'));
  const path = join(dir, 'xquad-r-random.safetensors');
  writeEmbeddings(path, ids, v, dim);
  console.log(`XQuAD-R: ${ds.languages.length} languages, ${ids.length} embeddings × ${dim} (${path}); torch threads ${JSON.stringify(getNumThreads())}`);

  const t0 = performance.now();
  const file = new EmbeddingsFile(path);
  const res = await runEval({ task: 'xquad-r', source: { kind: 'embeddings', file }, progress: false });
  file.close();
  const ours = (performance.now() - t0) / 1000;
  const s = res.lareqa!.summary;
  console.log(`polyret: ${res.lareqa!.settings.length} settings in ${ours.toFixed(2)} s; mAP mono ${s.mono.metrics.mAP!.toFixed(6)} cross ${s.cross.metrics.mAP!.toFixed(6)} multi ${s.multi.metrics.mAP!.toFixed(6)}`);

  const peer = spawnSync(peerPython(), [join(projectRoot(), 'bench', 'eval_xquad_r_peer.py'), path, join(dataDir(), 'xquad-r')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (peer.status !== 0) throw new Error(`peer failed (exit ${peer.status})`);
  const p = JSON.parse(peer.stdout.trim().split('\n').pop()!) as { seconds: number; mono: number; cross: number; multi: number; settings: number };
  console.log(`peer (numpy + scikit-learn): ${p.settings} settings in ${p.seconds.toFixed(2)} s; mAP mono ${p.mono.toFixed(6)} cross ${p.cross.toFixed(6)} multi ${p.multi.toFixed(6)}`);
  const diff = Math.max(Math.abs(p.mono - s.mono.metrics.mAP!), Math.abs(p.cross - s.cross.metrics.mAP!), Math.abs(p.multi - s.multi.metrics.mAP!));
  console.log(`max |mAP difference| polyret vs peer: ${diff.toExponential(2)}`);
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
  console.log(`eval-xquad-r: polyret ${ours.toFixed(2)} s, peer ${p.seconds.toFixed(2)} s, ratio ${(ours / p.seconds).toFixed(3)}`);
}
