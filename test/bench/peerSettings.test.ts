import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { projectRoot } from '../../src/util/dataDir.js';
import { TUNED_GLIBC_TUNABLES, TUNED_MALLOC_BYTES, peerEnv, peerPython, threadSettings } from '../../bench/lib/peer.js';
import { parsePrecisions } from '../../bench/lib/precision.js';

/** The value the addon passes to mallopt for `option`, read from its source (`1 << 30` style or a decimal). */
function addonMallopt(option: string): number {
  const src = readFileSync(join(projectRoot(), 'native', 'src', 'addon.cc'), 'utf8');
  const m = new RegExp(`mallopt\\(${option},\\s*([^)]+)\\)`).exec(src);
  assert.ok(m, `native/src/addon.cc has no mallopt(${option}, ...)`);
  const expr = m[1]!.trim();
  const shift = /^(\d+)\s*<<\s*(\d+)$/.exec(expr);
  if (shift) return Number(shift[1]) * 2 ** Number(shift[2]);
  assert.match(expr, /^\d+$/, `unexpected mallopt argument '${expr}'`);
  return Number(expr);
}

test("the peer's GLIBC_TUNABLES carry the addon's own malloc thresholds", () => {
  assert.equal(addonMallopt('M_MMAP_THRESHOLD'), TUNED_MALLOC_BYTES);
  assert.equal(addonMallopt('M_TRIM_THRESHOLD'), TUNED_MALLOC_BYTES);
  assert.equal(TUNED_GLIBC_TUNABLES, `glibc.malloc.mmap_threshold=${TUNED_MALLOC_BYTES}:glibc.malloc.trim_threshold=${TUNED_MALLOC_BYTES}`);
});

test('default peer settings: all cores, passive waiting, one process with malloc defaults and one tuned', () => {
  const ts = threadSettings({});
  const cores = availableParallelism();
  assert.deepEqual(ts.peers, [
    { aten: cores, blas: cores, passive: true, tunedMalloc: false },
    { aten: cores, blas: cores, passive: true, tunedMalloc: true },
  ]);
  assert.equal(peerEnv(ts.peers[0]!).GLIBC_TUNABLES, undefined);
  assert.equal(peerEnv(ts.peers[1]!).GLIBC_TUNABLES, TUNED_GLIBC_TUNABLES);
  assert.equal(peerEnv(ts.peers[1]!).OMP_WAIT_POLICY, 'PASSIVE');
});

test('--peer-wait both × --peer-malloc both gives four peer processes; one choice each gives one', () => {
  assert.equal(threadSettings({ 'peer-wait': 'both', 'peer-malloc': 'both' }).peers.length, 4);
  const one = threadSettings({ 'peer-wait': 'active', 'peer-malloc': 'tuned', 'peer-threads': '1' }).peers;
  assert.deepEqual(one.map((p) => [p.aten, p.passive, p.tunedMalloc]), [[1, false, true]]);
  assert.equal(peerEnv(one[0]!).OMP_WAIT_POLICY, 'ACTIVE');
});

test('bad thread, wait, malloc and precision flags name the flag and what was expected', () => {
  assert.throws(() => threadSettings({ 'peer-wait': 'spin' }), /--peer-wait: expected active \| passive \| both, got 'spin'/);
  assert.throws(() => threadSettings({ 'peer-malloc': 'jemalloc' }), /--peer-malloc: expected default \| tuned \| both/);
  assert.throws(() => threadSettings({ 'peer-threads': '0' }), /--peer-threads: expected a positive integer, got '0'/);
  assert.throws(() => threadSettings({ threads: '1.5' }), /--threads: expected a positive integer/);
  assert.deepEqual(parsePrecisions('fp32,bf16'), ['fp32', 'bf16']);
  assert.deepEqual(parsePrecisions(' bf16 '), ['bf16']);
  assert.throws(() => parsePrecisions('fp16'), /--precision: expected fp32 or bf16, got 'fp16'/);
  assert.throws(() => parsePrecisions('fp32,fp32'), /names a precision twice/);
});

test('POLYRET_PEER_PYTHON that does not exist is a clear error', () => {
  const saved = process.env.POLYRET_PEER_PYTHON;
  process.env.POLYRET_PEER_PYTHON = '/nonexistent/python';
  try {
    assert.throws(() => peerPython(), /POLYRET_PEER_PYTHON=\/nonexistent\/python: no such file/);
  } finally {
    if (saved === undefined) delete process.env.POLYRET_PEER_PYTHON;
    else process.env.POLYRET_PEER_PYTHON = saved;
  }
});
