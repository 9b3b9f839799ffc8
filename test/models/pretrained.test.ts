import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import { loadPretrained } from '../../src/models/index.js';
import { assertClose, readFixture, type FixtureTensor } from '../helpers/fixtures.js';

const FIX = join(projectRoot(), 'test', 'fixtures', 'models', 'tiny-labse');
const E = readFixture<{ texts: string[]; embeddings: FixtureTensor }>('models', 'tiny-labse', 'expected.json');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [relative(FIX, p).split('\\').join('/')];
  });
}

test('loadPretrained: a Hub model id is downloaded (loopback server) with its module folders and gives the reference embeddings', async () => {
  const sha = 'c'.repeat(40);
  const files = walk(FIX).filter((f) => f !== 'expected.json');
  const server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '');
    if (url === '/api/models/org/tiny-labse/revision/main?blobs=true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        sha,
        siblings: files.map((f) => {
          const data = readFileSync(join(FIX, f));
          return { rfilename: f, size: data.length, blobId: createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex') };
        }),
      }));
      return;
    }
    const m = new RegExp(`^/org/tiny-labse/resolve/${sha}/(.+)$`).exec(url);
    if (m && files.includes(m[1]!)) {
      res.writeHead(200);
      res.end(readFileSync(join(FIX, m[1]!)));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const cache = mkdtempSync(join(tmpdir(), 'polyret-hubcache-'));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const enc = await loadPretrained('org/tiny-labse', { endpoint, cacheDir: cache, progress: false, env: {} });
    assert.deepEqual(enc.stages.map((s) => s.kind), ['pooling', 'dense', 'normalize']);
    assertClose(enc.encode(E.texts).vectors, E.embeddings, 'embeddings of the downloaded model');
    enc.dispose();
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(cache, { recursive: true, force: true });
  }
});
