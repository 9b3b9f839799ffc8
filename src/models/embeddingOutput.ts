/**
 * Writing embeddings: `.safetensors` in the format `polyret eval --embeddings` reads (tensor `embeddings` float32
 * [N, D], ids as a JSON array in `__metadata__.ids`; see src/eval/embeddings.ts), or `.npy` (float32, C order)
 * with the ids in `<output>.ids.json`. Files are written atomically.
 */
import { bytesOf, writeSafetensors } from '../tensor/safetensors.js';
import { assertFiniteRows } from '../util/finite.js';
import { writeFileAtomic } from '../util/atomicWrite.js';

export type EmbeddingFormat = 'safetensors' | 'npy';

export function embeddingFormatOf(path: string): EmbeddingFormat {
  if (/\.safetensors$/i.test(path)) return 'safetensors';
  if (/\.npy$/i.test(path)) return 'npy';
  throw new Error(`output ${path}: expected a .safetensors or .npy file name`);
}

/** NumPy's .npy format 1.0: magic, version, little-endian u16 header length, a Python dict literal padded to 64 bytes. */
export function encodeNpyFloat32(data: Float32Array, shape: readonly number[]): Uint8Array[] {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = new Uint8Array(10);
  pre.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(pre.buffer).setUint16(8, header.length, true);
  return [pre, Buffer.from(header, 'latin1'), bytesOf(data)];
}

/**
 * Writes embeddings in the format `polyret eval --embeddings` reads (src/eval/embeddings.ts, EmbeddingsFile):
 * tensor `embeddings` F32 [N, D], the row ids as a JSON array in `__metadata__.ids`; atomically.
 */
export function writeEmbeddings(path: string, ids: readonly string[], vectors: Float32Array, dim: number): void {
  if (vectors.length !== ids.length * dim) throw new Error(`writeEmbeddings: ${vectors.length} values for ${ids.length} ids × ${dim}`);
  writeSafetensors(path, [{ name: 'embeddings', dtype: 'F32', shape: [ids.length, dim], data: bytesOf(vectors) }], { ids: JSON.stringify(ids) });
}

/**
 * Writes [ids.length, dim] embeddings; returns the files written. Non-finite vectors are refused (naming the text
 * ids) and nothing is written: an all-NaN output would otherwise look like a result.
 */
export function writeEmbeddingOutput(path: string, ids: readonly string[], vectors: Float32Array, dim: number): string[] {
  if (vectors.length !== ids.length * dim) throw new Error(`writeEmbeddingOutput: ${vectors.length} values for ${ids.length} ids × ${dim}`);
  assertFiniteRows(vectors, dim, (r) => ids[r]!, `cannot write ${path}: the model produced non-finite embeddings`, 'the model weights or inputs are damaged');
  if (embeddingFormatOf(path) === 'safetensors') {
    writeEmbeddings(path, ids, vectors, dim);
    return [path];
  }
  writeFileAtomic(path, encodeNpyFloat32(vectors, [ids.length, dim]));
  const idsPath = `${path}.ids.json`;
  writeFileAtomic(idsPath, `${JSON.stringify(ids)}\n`);
  return [path, idsPath];
}
