import { freeLoopbackPort } from '../../src/util/freePort.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { availableBackends, worldFromEnv, worldEnv } from '../../src/dist/index.js';

const worker = join(projectRoot(), 'dist', 'test', 'dist', 'collectivesWorker.js');


function runRank(rank: number, port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...worldEnv({ rank, worldSize: 2, localRank: rank, localWorldSize: 2, masterAddr: '127.0.0.1', masterPort: port }) };
    const child = spawn(process.execPath, [worker], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>) : reject(new Error(`rank ${rank} exited ${code}: ${err}`))));
  });
}

test('this build has Gloo', () => {
  assert.ok(availableBackends().includes('gloo'), `backends: ${availableBackends().join(', ')}`);
});

test('c10d collectives over Gloo on 127.0.0.1, 2 ranks: results computed by hand', { timeout: 60_000 }, async () => {
  const port = await freeLoopbackPort();
  const [a, b] = await Promise.all([runRank(0, port), runRank(1, port)]);
  for (const [r, o] of [[0, a], [1, b]] as const) {
    assert.equal(o!.rank, r);
    assert.equal(o!.worldSize, 2);
    // rank r holds [1 + r, 2 + r]
    assert.deepEqual(o!.sum, [3, 5]);
    assert.deepEqual(o!.avg, [1.5, 2.5]);
    assert.deepEqual(o!.max, [2, 3]);
    assert.deepEqual(o!.min, [1, 2]);
    assert.deepEqual(o!.gather, [0, 1, 2, 3, 1, 2, 3, 4]);
    assert.deepEqual(o!.gatherInt, [7, 14]);
    assert.deepEqual(o!.gatherGrad, [1, 2, 2, 3]);
    assert.deepEqual(o!.broadcast, [6]);
    assert.equal(o!.buckets, 2);
    // gradients averaged: (1 + 2) / 2, (10 + 20) / 2, (0 − 1) / 2; the parameter without one keeps none
    assert.deepEqual(o!.avgGrads, [[1.5], [15, -0.5], null]);
    assert.match(String(o!.mismatch), /a value differs across ranks: rank 1 has a different one from rank 0/);
  }
  // d/dx of Σ_ranks Σ(gathered ⊙ W_rank): rank 0's row gets W0[0] + W1[0], rank 1's W0[1] + W1[1].
  assert.deepEqual(a!.xGrad, [11, 22]);
  assert.deepEqual(b!.xGrad, [33, 44]);
});

test("torchrun's environment: parsed, and malformed values are errors naming the variable", () => {
  assert.equal(worldFromEnv({}), null);
  assert.deepEqual(worldFromEnv({ RANK: '1', WORLD_SIZE: '4', LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29501' }), {
    rank: 1, worldSize: 4, localRank: 1, localWorldSize: 2, masterAddr: '10.0.0.1', masterPort: 29501,
  });
  assert.throws(() => worldFromEnv({ RANK: '2', WORLD_SIZE: '2', LOCAL_RANK: '0', MASTER_ADDR: 'h', MASTER_PORT: '1' }), /RANK=2 is not below WORLD_SIZE=2/);
  assert.throws(() => worldFromEnv({ RANK: '0', WORLD_SIZE: 'two' }), /WORLD_SIZE=two: expected an integer ≥ 1/);
  assert.throws(() => worldFromEnv({ RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: '0', MASTER_PORT: '1' }), /MASTER_ADDR is not set/);
  assert.throws(() => worldFromEnv({ RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: '0', MASTER_ADDR: 'h', MASTER_PORT: '70000' }), /MASTER_PORT=70000: expected a port/);
  assert.throws(() => worldFromEnv({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '1' }), /LOCAL_RANK is not set/);
});
