import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { applyOpenblasCore, chooseOpenblasCore, computeInfo } from '../../src/tensor/index.js';

// /proc/cpuinfo excerpts (flags shortened to those that matter plus neighbours), two processors each.
const cpu = (vendor: string, model: string, flags: string) =>
  [0, 1].map((p) => `processor\t: ${p}\nvendor_id\t: ${vendor}\nmodel name\t: ${model}\nflags\t\t: ${flags}\n`).join('\n');
// The VM this was found on: Emerald Rapids (family 6 model 207), unknown to OpenBLAS 0.3.21, which chose Prescott.
const EMERALD_RAPIDS = cpu('GenuineIntel', 'Intel(R) Xeon(R) Processor', 'sse4_2 avx2 fma avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512_fp16');
const ZEN3 = cpu('AuthenticAMD', 'AMD EPYC 7B13', 'sse4_2 avx f16c avx2 fma bmi2 sha_ni vaes');
const ZEN4 = cpu('AuthenticAMD', 'AMD EPYC 9654', 'avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16');
const SKYLAKE_CLIENT = cpu('GenuineIntel', 'Intel(R) Core(TM) i7-6700', 'sse4_2 avx avx2 fma bmi2');
const KNIGHTS_LANDING = cpu('GenuineIntel', 'Intel(R) Xeon Phi(TM) 7250', 'avx2 fma avx512f avx512cd avx512pf avx512er');
const SANDY_BRIDGE = cpu('GenuineIntel', 'Intel(R) Xeon(R) E5-2670', 'sse4_2 avx');

test('chooseOpenblasCore: SkylakeX for the AVX-512 server set, Haswell for Intel AVX2, OpenBLAS itself otherwise', () => {
  assert.equal(chooseOpenblasCore(EMERALD_RAPIDS, 'x64').coreType, 'SkylakeX');
  assert.equal(chooseOpenblasCore(ZEN4, 'x64').coreType, 'SkylakeX');
  assert.equal(chooseOpenblasCore(SKYLAKE_CLIENT, 'x64').coreType, 'Haswell');
  // AVX-512 without BW/DQ/VL (Xeon Phi) cannot run the SkylakeX kernels; it has AVX2 and FMA, so Haswell.
  assert.equal(chooseOpenblasCore(KNIGHTS_LANDING, 'x64').coreType, 'Haswell');
  // AMD without AVX-512: OpenBLAS knows Zen by its family number; no override.
  assert.equal(chooseOpenblasCore(ZEN3, 'x64').coreType, null);
  assert.equal(chooseOpenblasCore(SANDY_BRIDGE, 'x64').coreType, null);
  // Judged by the weakest processor; whole flags only; other architectures and no flags leave OpenBLAS alone.
  assert.equal(chooseOpenblasCore(`${EMERALD_RAPIDS}\n${SANDY_BRIDGE}`, 'x64').coreType, null);
  assert.equal(chooseOpenblasCore(cpu('GenuineIntel', 'X', 'avx2x fmax avx512fx'), 'x64').coreType, null);
  assert.equal(chooseOpenblasCore(EMERALD_RAPIDS, 'arm64').coreType, null);
  assert.match(chooseOpenblasCore('', 'x64').reason, /no CPU flags/);
});

test("applyOpenblasCore: sets OPENBLAS_CORETYPE only when the user has not, and not with POLYRET_OPENBLAS_CORETYPE=off", () => {
  const env: NodeJS.ProcessEnv = {};
  assert.equal(applyOpenblasCore(env, EMERALD_RAPIDS, 'x64'), 'SkylakeX');
  assert.equal(env.OPENBLAS_CORETYPE, 'SkylakeX');
  const mine: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Sandybridge' };
  assert.equal(applyOpenblasCore(mine, EMERALD_RAPIDS, 'x64'), null);
  assert.equal(mine.OPENBLAS_CORETYPE, 'Sandybridge');
  const off: NodeJS.ProcessEnv = { POLYRET_OPENBLAS_CORETYPE: 'off' };
  assert.equal(applyOpenblasCore(off, EMERALD_RAPIDS, 'x64'), null);
  assert.equal(off.OPENBLAS_CORETYPE, undefined);
  const zen: NodeJS.ProcessEnv = {};
  assert.equal(applyOpenblasCore(zen, ZEN3, 'x64'), null);
  assert.equal(zen.OPENBLAS_CORETYPE, undefined);
});

// The loader really applies it: a fresh process (OpenBLAS reads the variable once, when it loads) reports the
// kernels it runs in openblas_get_config(). Only meaningful with an OpenBLAS libtorch (Debian's); PyTorch's wheels
// use MKL and have no OpenBLAS config to read.
test('the addon loader gives OpenBLAS the chosen kernels, and the user\'s OPENBLAS_CORETYPE wins', { skip: computeInfo().blas === null && 'this libtorch has no OpenBLAS' }, () => {
  const runtime = fileURLToPath(new URL('../../src/tensor/index.js', import.meta.url));
  const script = `import(${JSON.stringify(runtime)}).then((t) => console.log(t.computeInfo().blas))`;
  const run = (extra: Record<string, string>) => {
    const env = { ...process.env, ...extra };
    delete env.OPENBLAS_CORETYPE;
    Object.assign(env, extra);
    return execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim();
  };
  const choice = chooseOpenblasCore(readFileSync('/proc/cpuinfo', 'utf8'), arch()).coreType;
  const auto = run({});
  if (choice) assert.match(auto, new RegExp(` ${choice} `, 'i'), auto);
  else assert.doesNotMatch(auto, / Prescott /, `${auto}: OpenBLAS's own choice on a CPU polyret leaves alone`);
  const forced = run({ OPENBLAS_CORETYPE: 'Sandybridge' });
  assert.match(forced, / Sandybridge /i, forced);
});
