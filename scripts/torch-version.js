// Prints the libtorch version the built addon runs on, and fails unless it starts with the expected
// one (argv[2]), so that CI cannot test one libtorch while believing it tests another.
import { computeInfo } from '../dist/src/tensor/runtime.js';

const info = computeInfo();
const want = process.argv[2];
console.log(`addon runs on libtorch ${info.torch} (${info.threads} threads, BLAS threads ${info.blasThreads})`);
if (want && !info.torch.startsWith(want)) {
  console.error(`expected libtorch ${want}, got ${info.torch}`);
  process.exit(1);
}
