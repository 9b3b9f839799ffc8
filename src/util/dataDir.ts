import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this module that holds package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/**
 * The shared data folder: `POLYRET_DATA` when set, else `../shared/data` beside the project root.
 * Data is never copied into the repository, so tests and benchmarks read it from here.
 */
export function dataDir(): string {
  const env = process.env.POLYRET_DATA;
  if (env && env.length > 0) return resolve(env);
  return resolve(projectRoot(), '..', 'shared', 'data');
}

/** A path inside the data folder; throws a clear error when it is missing. */
export function dataPath(...parts: string[]): string {
  const p = join(dataDir(), ...parts);
  if (!existsSync(p)) {
    throw new Error(`data file not found: ${p} (set POLYRET_DATA to the folder that holds the shared data)`);
  }
  return p;
}

/** Whether the data folder exists, so data-dependent tests can say why they skip. */
export function hasData(...parts: string[]): boolean {
  return existsSync(join(dataDir(), ...parts));
}
