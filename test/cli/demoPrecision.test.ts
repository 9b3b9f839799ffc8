import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureBf16Speed, parseBf16Support, type Bf16Speed } from '../../src/tensor/index.js';
import { BF16_DEMO_AS_GOOD, chooseDemoPrecision } from '../../src/cli/demoPrecision.js';

const ONEDNN = 'Intel(R) MKL-DNN v2.6.3 (Git Hash N/A)\n';
const cpu = (flags: string) => `processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: ${flags}\n`;
const speed = (fp32Ms: number, bf16Ms: number): Bf16Speed => ({ fp32Ms, bf16Ms, ratio: bf16Ms / fp32Ms });

test('the demo picks bf16 only with native bf16, bf16 as good as fp32, and bf16 products measurably faster', () => {
  const native = parseBf16Support(cpu('avx2 avx512f avx512_bf16 amx_bf16'), 'x64', ONEDNN);
  const emulated = parseBf16Support(cpu('avx2 fma'), 'x64', ONEDNN);
  let timed = 0;
  const fast = () => { timed++; return speed(2.0, 1.0); };
  const a = chooseDemoPrecision(native, 'cpu', fast, true);
  assert.equal(a.precision, 'bf16');
  assert.match(a.reason, /Test CPU has amx_bf16 and avx512_bf16 .* bf16 matched fp32 on the demo .* 1\.00 ms in bf16 against 2\.00 ms in fp32 here \(×0\.50\): bf16$/);
  // Native but not faster (AVX512-BF16 without AMX, as measured on Emerald Rapids): fp32, saying why.
  const slow = chooseDemoPrecision(native, 'cpu', () => speed(1.0, 1.4), true);
  assert.equal(slow.precision, 'fp32');
  assert.match(slow.reason, /but the model's products took 1\.40 ms in bf16 against 1\.00 ms in fp32 here \(×1\.40\): fp32$/);
  // Only a little faster (above the 0.9 threshold) is not enough; NaN timings are not a reason for bf16.
  assert.equal(chooseDemoPrecision(native, 'cpu', () => speed(1.0, 0.95), true).precision, 'fp32');
  assert.equal(chooseDemoPrecision(native, 'cpu', () => speed(Number.NaN, 1.0), true).precision, 'fp32');
  // Not shown as good, emulated, CUDA: fp32, and the timing is not even run.
  timed = 0;
  const b = chooseDemoPrecision(native, 'cpu', fast, false);
  assert.equal(b.precision, 'fp32');
  assert.match(b.reason, /bf16 is not yet shown to train the demo as well as fp32/);
  const c = chooseDemoPrecision(emulated, 'cpu', fast, true);
  assert.equal(c.precision, 'fp32');
  assert.match(c.reason, /neither AMX-BF16 nor AVX512-BF16.*fp32 is the faster choice here/);
  assert.equal(chooseDemoPrecision(native, 'cuda', fast, true).precision, 'fp32');
  assert.equal(timed, 0);
  // As shipped: shown as good (docs/training.md#bf16-on-the-cpu), so the timing decides.
  assert.equal(BF16_DEMO_AS_GOOD, true);
  assert.equal(chooseDemoPrecision(native, 'cpu', fast).precision, 'bf16');
});

test('measureBf16Speed times both precisions on this CPU', () => {
  const s = measureBf16Speed(32, 64, { tokens: 256, repeats: 2 });
  assert.ok(s.fp32Ms > 0 && Number.isFinite(s.fp32Ms), `fp32 ${s.fp32Ms}`);
  assert.ok(s.bf16Ms > 0 && Number.isFinite(s.bf16Ms), `bf16 ${s.bf16Ms}`);
  assert.equal(s.ratio, s.bf16Ms / s.fp32Ms);
});
