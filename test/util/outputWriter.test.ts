import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkOutputFile, checkOutputFolder, FolderOutput, OutputError, pendingTemps, setWriteFault, writeOutputFile, writeOutputFiles, writeOutputFolderSync,
} from '../../src/util/outputWriter.js';

// Full disks are simulated with the writer's seam: setWriteFault('ENOSPC', n) fails the n-th data write.

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'polyret-writer-'));
}

test('writeOutputFile: replaces the whole file; a failed write leaves the old content and no temporary', () => {
  const d = scratch();
  try {
    const f = join(d, 'out.json');
    writeOutputFile(f, 'old');
    writeOutputFile(f, [Buffer.from('ne'), Buffer.from('w')]);
    assert.equal(readFileSync(f, 'utf8'), 'new');
    setWriteFault('ENOSPC', 2);
    assert.throws(() => writeOutputFile(f, [Buffer.from('a'), Buffer.from('b')]), (e: unknown) => {
      assert.ok(e instanceof OutputError);
      assert.equal(e.message, `cannot write ${f}: no space left on the device (ENOSPC)`);
      return true;
    });
    setWriteFault(null);
    assert.equal(readFileSync(f, 'utf8'), 'new');
    assert.deepEqual(readdirSync(d), ['out.json']);
    assert.deepEqual(pendingTemps(), []);
    writeOutputFile(join(d, 'a', 'b', 'c.txt'), 'x'); // missing parents are created
    assert.equal(readFileSync(join(d, 'a', 'b', 'c.txt'), 'utf8'), 'x');
  } finally {
    setWriteFault(null);
    rmSync(d, { recursive: true, force: true });
  }
});

test('checks before the work: folder as file, file as folder, non-regular targets, files as ancestors, occupied folders', () => {
  const d = scratch();
  try {
    mkdirSync(join(d, 'dir'));
    writeFileSync(join(d, 'file'), 'mine');
    assert.throws(() => checkOutputFile(join(d, 'dir')), new RegExp(`cannot write ${join(d, 'dir')}: it is an existing folder; give a file name \\(EISDIR\\)`));
    assert.throws(() => checkOutputFile('/dev/null'), /cannot write \/dev\/null: it exists and is not a regular file .*\(EINVAL\)/);
    assert.throws(() => checkOutputFile(join(d, 'file', 'x.json')), new RegExp(`cannot write .*: ${join(d, 'file')} is a file, not a folder \\(ENOTDIR\\)`));
    assert.throws(() => checkOutputFolder(join(d, 'file')), /it is an existing file; give a folder name \(EEXIST\)/);
    writeFileSync(join(d, 'dir', 'weights'), 'w');
    assert.throws(() => checkOutputFolder(join(d, 'dir'), { what: 'model folder' }), /it is an existing model folder that is not empty; pass --overwrite/);
    checkOutputFolder(join(d, 'dir'), { overwrite: true });
    checkOutputFolder(join(d, 'dir'), { existing: (x) => existsSync(join(x, 'weights')) });
    mkdirSync(join(d, 'empty'));
    checkOutputFolder(join(d, 'empty'));
    assert.throws(() => checkOutputFolder(join(d, 'empty'), { existing: 'never' }), /EEXIST/);
    checkOutputFile(join(d, 'new', 'deep', 'x.json'));
    assert.deepEqual(readdirSync(d).sort(), ['dir', 'empty', 'file'], 'checks create nothing (the probe file is removed)');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('FolderOutput: a set appears whole on commit, replaces an allowed folder, and vanishes on failure', () => {
  const d = scratch();
  try {
    const target = join(d, 'report');
    writeOutputFolderSync(target, {}, (out) => {
      out.write('a.txt', 'A1');
      out.write('sub/b.txt', 'B1');
      assert.ok(!existsSync(target), 'nothing at the target before the commit');
    });
    assert.equal(readFileSync(join(target, 'sub', 'b.txt'), 'utf8'), 'B1');
    // A second set replaces the first only when allowed, and only as a whole.
    assert.throws(() => new FolderOutput(target), /not empty/);
    setWriteFault('ENOSPC', 2);
    assert.throws(() => writeOutputFolderSync(target, { existing: () => true }, (out) => {
      out.write('a.txt', 'A2');
      out.write('sub/b.txt', 'B2');
    }), new RegExp(`cannot write ${join(target, 'sub', 'b.txt')}: no space left on the device \\(ENOSPC\\)`));
    setWriteFault(null);
    assert.equal(readFileSync(join(target, 'a.txt'), 'utf8'), 'A1', 'the old set is intact');
    writeOutputFolderSync(target, { existing: () => true }, (out) => out.write('c.txt', 'C'));
    assert.deepEqual(readdirSync(target), ['c.txt'], 'replaced as a whole, nothing merged');
    assert.deepEqual(readdirSync(d), ['report'], 'no temporaries beside it');
    assert.deepEqual(pendingTemps(), []);
  } finally {
    setWriteFault(null);
    rmSync(d, { recursive: true, force: true });
  }
});

test('writeOutputFiles: all files or none', () => {
  const d = scratch();
  try {
    setWriteFault('ENOSPC', 2);
    assert.throws(() => writeOutputFiles([{ path: join(d, 'p.svg'), data: '<svg/>' }, { path: join(d, 'p.png'), data: 'png' }]), /p\.png: no space left/);
    setWriteFault(null);
    assert.deepEqual(readdirSync(d), []);
    writeOutputFiles([{ path: join(d, 'p.svg'), data: '<svg/>' }, { path: join(d, 'p.png'), data: 'png' }]);
    assert.deepEqual(readdirSync(d).sort(), ['p.png', 'p.svg']);
  } finally {
    setWriteFault(null);
    rmSync(d, { recursive: true, force: true });
  }
});
