// Runs the compiled test files with Node's test runner.
// `npm test` runs everything; `npm test -- test/foo.test.ts` runs the named files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const distTest = join(root, 'dist', 'test');

function collect(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.length
  ? args.map((a) => join(root, 'dist', relative(root, join(process.cwd(), a)).replace(/\.ts$/, '.js')))
  : collect(distTest);
if (files.length === 0) {
  console.error(`no compiled tests under ${distTest}: run \`npm run build:ts\` first`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
