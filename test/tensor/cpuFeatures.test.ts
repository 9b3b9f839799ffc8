import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bf16Accumulation, bf16Note, cpuBf16Support, noGrad, ones, parseBf16Support, tidy } from '../../src/tensor/index.js';

// Real /proc/cpuinfo excerpts (flags lines shortened to the flags that matter plus neighbours), two processors each.
const cpu = (model: string, flags: string) => [0, 1].map((p) => `processor\t: ${p}\nvendor_id\t: x\nmodel name\t: ${model}\nflags\t\t: ${flags}\n`).join('\n');
const EPYC_ZEN3 = cpu('AMD EPYC 7B13', 'fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx f16c avx2 fma bmi2 sha_ni vaes vpclmulqdq');
const ICE_LAKE = cpu('Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', 'avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni avx512_bitalg');
const COOPER_LAKE = cpu('Intel(R) Xeon(R) Platinum 8380H CPU @ 2.90GHz', 'avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16');
const SAPPHIRE_RAPIDS = cpu('Intel(R) Xeon(R) Platinum 8480+', 'avx2 avx512f avx512bw avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8');
const ZEN4 = cpu('AMD EPYC 9654 96-Core Processor', 'avx2 avx512f avx512bw avx512_bf16 avx512_vnni');
const ONEDNN = 'ATen/Parallel:\n\tat::get_num_threads() : 2\nOpenMP 201511 (a.k.a. OpenMP 4.5)\nMKL not found\nIntel(R) MKL-DNN v2.6.3 (Git Hash N/A)\nstd::thread::hardware_concurrency() : 2\n';
const NO_ONEDNN = 'ATen/Parallel:\n\tat::get_num_threads() : 2\nMKL not found\nMKLDNN not found\n';

test('parseBf16Support: AMX-BF16 or AVX512-BF16 on every processor, with oneDNN in libtorch, is native; nothing else is', () => {
  const spr = parseBf16Support(SAPPHIRE_RAPIDS, 'x64', ONEDNN);
  assert.equal(spr.native, true);
  assert.deepEqual(spr.flags, ['amx_bf16', 'avx512_bf16']);
  assert.equal(spr.oneDnn, 'Intel(R) MKL-DNN v2.6.3 (Git Hash N/A)');
  assert.match(spr.reason, /Platinum 8480\+ has amx_bf16 and avx512_bf16 .*natively/);
  assert.deepEqual(parseBf16Support(COOPER_LAKE, 'x64', ONEDNN).flags, ['avx512_bf16']);
  assert.equal(parseBf16Support(COOPER_LAKE, 'x64', ONEDNN).native, true);
  assert.equal(parseBf16Support(ZEN4, 'x64', ONEDNN).native, true);

  // This development machine's kind: AVX2 only.
  const epyc = parseBf16Support(EPYC_ZEN3, 'x64', ONEDNN);
  assert.equal(epyc.native, false);
  assert.deepEqual(epyc.flags, []);
  assert.match(epyc.reason, /^AMD EPYC 7B13 has neither AMX-BF16 nor AVX512-BF16: no native bf16 products$/);
  // AVX-512 alone (avx512f, avx512bw) is not bf16: the reason says so.
  const icl = parseBf16Support(ICE_LAKE, 'x64', ONEDNN);
  assert.equal(icl.native, false);
  assert.match(icl.reason, /AVX-512 without bf16 instructions/);
  // A flag must be a whole word: avx512_bf16x or a substring of another flag does not count.
  assert.equal(parseBf16Support(cpu('X', 'avx512_bf16x amx_bf16_tile'), 'x64', ONEDNN).native, false);
  // The flags, but a libtorch without oneDNN: still emulated.
  const noDnn = parseBf16Support(SAPPHIRE_RAPIDS, 'x64', NO_ONEDNN);
  assert.equal(noDnn.native, false);
  assert.deepEqual(noDnn.flags, ['amx_bf16', 'avx512_bf16']);
  assert.match(noDnn.reason, /no oneDNN/);
  // Heterogeneous processors: judged by the weakest.
  const mixed = `${SAPPHIRE_RAPIDS}\n${EPYC_ZEN3}`;
  assert.equal(parseBf16Support(mixed, 'x64', ONEDNN).native, false);
  // Other architectures and an unreadable cpuinfo: not native, with a reason.
  assert.match(parseBf16Support(SAPPHIRE_RAPIDS, 'arm64', ONEDNN).reason, /x86-64 only \(this CPU is arm64\)/);
  assert.equal(parseBf16Support(SAPPHIRE_RAPIDS, 'arm64', ONEDNN).native, false);
  assert.match(parseBf16Support('', 'x64', ONEDNN).reason, /no CPU flags/);
});

test('bf16Note: only for bf16 on a CPU without native support', () => {
  const slow = parseBf16Support(EPYC_ZEN3, 'x64', ONEDNN);
  const fast = parseBf16Support(SAPPHIRE_RAPIDS, 'x64', ONEDNN);
  assert.match(bf16Note('bf16', 'cpu', slow, 'fp32', 'libtorch')!, /^note: bf16 requested, but AMD EPYC 7B13 has neither .* many times slower than fp32\. fp32 is faster on this CPU\.$/);
  assert.match(bf16Note('bf16', 'cpu', slow, 'bf16', 'libtorch')!, /sums bf16 products in bf16 here .* fp32 is faster and more accurate on this CPU\.$/);
  assert.match(bf16Note('bf16', 'cpu', slow, 'bf16', 'emulated')!, /^note: bf16 requested, but .* polyret emulates them \(bf16-rounded operands, float32 GEMM and sums, bf16 results\), at about fp32's speed: bf16 gains nothing on this CPU, and fp32 is as fast and more accurate\.$/);
  assert.equal(bf16Note('bf16', 'cpu', fast), null);
  assert.equal(bf16Note('fp32', 'cpu', slow), null);
  assert.equal(bf16Note('bf16', 'cuda:0', slow), null);
});

test('cpuBf16Support on this machine agrees with its /proc/cpuinfo and libtorch', () => {
  const s = cpuBf16Support();
  assert.equal(typeof s.native, 'boolean');
  assert.ok(s.reason.length > 0);
  assert.strictEqual(cpuBf16Support(), s, 'read once');
  if (process.platform === 'linux' && process.arch === 'x64') {
    const first = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))![1]!.split(/\s+/);
    assert.equal(s.flags.length > 0, first.includes('amx_bf16') || first.includes('avx512_bf16'));
  }
});


test('bf16Accumulation: the probe matches how a longer bf16 dot product comes out', () => {
  // 2048 ones: exactly 2048 with a float32 accumulator; a bf16 running sum stops at 256 (256 + 1 rounds to 256).
  const sum = noGrad(() => tidy(() => ones([1, 2048]).to('bfloat16').matmul(ones([2048, 1]).to('bfloat16')).item()));
  assert.ok(sum >= 256 && sum <= 2048, `sum ${sum}`);
  assert.equal(bf16Accumulation(), sum === 2048 ? 'fp32' : 'bf16');
});
