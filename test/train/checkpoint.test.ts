import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestValidCheckpoint, listStepDirs, pruneCheckpoints, stepDirName, verifyCheckpointDir, writeCheckpointDir } from '../../src/train/checkpoint.js';

test('checkpoints: manifest checksums, newest valid one wins, broken ones are skipped, last K kept', () => {
  const root = mkdtempSync(join(tmpdir(), 'polyret-ck-'));
  try {
    for (const step of [10, 20, 30]) {
      writeCheckpointDir(root, stepDirName(step), step, [
        { name: 'a.bin', data: new Uint8Array(1000).fill(step) },
        { name: 'b.json', write: (p) => writeFileSync(p, JSON.stringify({ step })) },
      ]);
    }
    assert.deepEqual(listStepDirs(root).map((c) => c.step), [10, 20, 30]);
    const v = verifyCheckpointDir(join(root, stepDirName(30)));
    assert.ok(v.ok && v.manifest.step === 30 && v.manifest.files['a.bin']!.bytes === 1000);

    // A torn write (the file cut short) and a folder without a manifest are never trusted.
    truncateSync(join(root, stepDirName(30), 'a.bin'), 500);
    mkdirSync(join(root, stepDirName(40)));
    writeFileSync(join(root, stepDirName(40), 'a.bin'), 'partial');
    const warnings: string[] = [];
    const best = latestValidCheckpoint(root, (m) => warnings.push(m));
    assert.equal(best?.step, 20);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /step-00000040: no manifest/);
    assert.match(warnings[1]!, /step-00000030: a\.bin has 500 bytes, the manifest says 1000/);

    // Same size, different content: the checksum catches it.
    writeFileSync(join(root, stepDirName(20), 'b.json'), JSON.stringify({ step: 99 }));
    assert.match(String((verifyCheckpointDir(join(root, stepDirName(20))) as { reason: string }).reason), /b\.json fails its SHA-256 check/);

    // Leftovers of an interrupted write by another process are removed with old checkpoints.
    mkdirSync(join(root, '.step-00000050.tmp-999999'));
    pruneCheckpoints(root, 2);
    assert.deepEqual(listStepDirs(root).map((c) => c.step), [30, 40]);
    assert.ok(!existsSync(join(root, '.step-00000050.tmp-999999')));

    // Rewriting a step (after a resume) replaces it whole.
    writeCheckpointDir(root, stepDirName(30), 30, [{ name: 'a.bin', data: 'new' }]);
    assert.ok(verifyCheckpointDir(join(root, stepDirName(30))).ok);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
