import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBf16Support } from '../../src/tensor/index.js';
import { chooseDemoPrecision } from '../../src/cli/demoPrecision.js';

const ONEDNN = 'Intel(R) MKL-DNN v2.6.3 (Git Hash N/A)\n';
const cpu = (flags: string) => `processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: ${flags}\n`;

test('the demo picks bf16 only on a CPU with native bf16, and only if bf16 was as good as fp32', () => {
  const native = parseBf16Support(cpu('avx2 avx512f avx512_bf16 amx_bf16'), 'x64', ONEDNN);
  const emulated = parseBf16Support(cpu('avx2 fma'), 'x64', ONEDNN);
  const a = chooseDemoPrecision(native, 'cpu', true);
  assert.equal(a.precision, 'bf16');
  assert.match(a.reason, /Test CPU has amx_bf16 and avx512_bf16 .* bf16 matched fp32 on the demo/);
  const b = chooseDemoPrecision(native, 'cpu', false);
  assert.equal(b.precision, 'fp32');
  assert.match(b.reason, /bf16 is not yet shown to train the demo as well as fp32/);
  const c = chooseDemoPrecision(emulated, 'cpu', true);
  assert.equal(c.precision, 'fp32');
  assert.match(c.reason, /neither AMX-BF16 nor AVX512-BF16.*fp32 is the faster choice here/);
  assert.equal(chooseDemoPrecision(native, 'cuda', true).precision, 'fp32');
  // As shipped (BF16_DEMO_AS_GOOD): not shown yet, so fp32 even on a native-bf16 CPU.
  assert.equal(chooseDemoPrecision(native, 'cpu').precision, 'fp32');
});
