// One rank of test/dist/collectives.test.ts: runs c10d collectives on inputs whose results are
// computed by hand in the test, and prints them as one JSON line.
import { fromArray, noGrad, setNumThreads, tensor, tidy } from '../../src/tensor/index.js';
import {
  allGather, allGatherWithGrad, allReduce, assertSameOnAllRanks, averageGradients, barrier, broadcast, destroyProcessGroup, initProcessGroup, rank, worldFromEnv, worldSize,
} from '../../src/dist/index.js';

setNumThreads(1);
const w = worldFromEnv();
if (!w) throw new Error('RANK/WORLD_SIZE not set');
initProcessGroup({ backend: 'gloo', rank: w.rank, worldSize: w.worldSize, masterAddr: w.masterAddr, masterPort: w.masterPort, timeoutMs: 60_000 });
const r = rank();
const out: Record<string, unknown> = { rank: r, worldSize: worldSize() };
tidy(() => {
  for (const op of ['sum', 'avg', 'max', 'min'] as const) {
    const a = tensor([1 + r, 2 + r]);
    allReduce([a], op);
    out[op] = a.toNumbers();
  }
  out.gather = allGather(tensor([[r, r + 1], [r + 2, r + 3]])).toNumbers();
  out.gatherInt = allGather(fromArray(new Int32Array([7 * (r + 1)]), [1])).toNumbers();
  const x = tensor([[1 + r, 2 + r]]).requiresGrad_(true);
  const g = allGatherWithGrad(x);
  out.gatherGrad = g.toNumbers();
  const weight = r === 0 ? tensor([[1, 2], [3, 4]]) : tensor([[10, 20], [30, 40]]);
  g.mul(weight).sum().backward();
  out.xGrad = x.grad!.toNumbers();
  const b = tensor([r + 5]);
  broadcast([b], 1);
  out.broadcast = b.toNumbers();
  // Two parameters in separate buckets (the first alone fills a 4-byte bucket), one without a gradient.
  const p1 = tensor([0]).requiresGrad_(true);
  const p2 = tensor([[0, 0]]).requiresGrad_(true);
  const p3 = tensor([0]).requiresGrad_(true);
  noGrad(() => {
    p1.grad = tensor([1 + r]);
    p2.grad = tensor([[10 * (1 + r), -r]]);
  });
  out.buckets = averageGradients([p1, p2, p3], 4).buckets;
  out.avgGrads = [p1.grad!.toNumbers(), p2.grad!.toNumbers(), p3.grad];
});
barrier();
assertSameOnAllRanks('the same value', 'same');
try {
  assertSameOnAllRanks('a value', r === 0 ? 'a' : 'b');
  out.mismatch = null;
} catch (err) {
  out.mismatch = (err as Error).message;
}
destroyProcessGroup();
process.stdout.write(`${JSON.stringify(out)}\n`);
