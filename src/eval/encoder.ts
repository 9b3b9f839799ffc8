/**
 * The seam between evaluation and a model: anything that turns texts into vectors. `polyret eval --model DIR`
 * loads the project's encoder module (src/models/encoder.ts, exporting `loadEncoder(dir)`) when it exists;
 * `--embeddings FILE` needs no model at all.
 */
export interface Encoder {
  readonly dim: number;
  /** One vector per text; `kind` lets asymmetric models use query/passage prefixes. */
  encode(texts: string[], kind: 'query' | 'passage'): Promise<Float32Array[]>;
}

interface EncoderModule {
  loadEncoder(dir: string, opts?: { device?: string }): Promise<Encoder>;
}

/** Loads the model encoder, or explains what is missing. */
export async function loadModelEncoder(dir: string, device = 'cpu'): Promise<Encoder> {
  // a computed specifier: the encoder module is written separately and may not exist in this checkout yet
  const specifier = '../models/encoder.js';
  let mod: Partial<EncoderModule>;
  try {
    mod = (await import(specifier)) as Partial<EncoderModule>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(
        'encoding with a model requires the encoder module (src/models/encoder.ts, exporting loadEncoder(dir)), which is not part of this build yet; ' +
          'pass --embeddings FILE with precomputed vectors instead: polyret eval --task T --export-texts texts.jsonl, then polyret encode --model DIR --input texts.jsonl --output emb.safetensors (see docs/evaluation.md)',
      );
    }
    throw err;
  }
  if (typeof mod.loadEncoder !== 'function') throw new Error('src/models/encoder.js does not export loadEncoder(dir)');
  return mod.loadEncoder(dir, { device });
}

/** Packs per-text vectors into one row-major matrix, checking every length. */
export function packRows(rows: readonly Float32Array[], dim: number, what: string): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => {
    if (r.length !== dim) throw new Error(`${what} ${i}: vector of length ${r.length}, expected ${dim}`);
    out.set(r, i * dim);
  });
  return out;
}
