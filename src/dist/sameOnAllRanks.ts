import { createHash } from 'node:crypto';
import { fromArray, tidy } from '../tensor/index.js';
import { allGather, rank, worldSize } from './processGroup.js';

/**
 * Checks that every rank holds the same `value` (a config, a resume point), by all-gathering a
 * SHA-256 of it; throws an error naming the ranks that differ from rank 0. Every rank must call it.
 */
export function assertSameOnAllRanks(what: string, value: string): void {
  if (worldSize() === 1) return;
  const digest = createHash('sha256').update(value).digest();
  const mine = new Int32Array(digest.buffer, digest.byteOffset, 8).slice();
  const all = tidy(() => allGather(fromArray(mine, [1, 8])).data<'int32'>());
  const differ: number[] = [];
  for (let r = 1; r < worldSize(); r++) {
    for (let k = 0; k < 8; k++) {
      if (all[r * 8 + k] !== all[k]) {
        differ.push(r);
        break;
      }
    }
  }
  if (differ.length) {
    throw new Error(`${what} differs across ranks: rank${differ.length > 1 ? 's' : ''} ${differ.join(', ')} ${differ.length > 1 ? 'have' : 'has'} a different one from rank 0 (this is rank ${rank()}); every rank must run with the same config, data and flags`);
  }
}
