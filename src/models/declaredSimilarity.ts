/**
 * The similarity a sentence-transformers folder declares for its embeddings (`similarity_fn_name` in
 * config_sentence_transformers.json), as polyret's scoring names it: `cosine` → cosine, `dot` / `dot_product` →
 * ip. Undefined when the folder declares none (or no such file), so the caller keeps its own default. A declared
 * function polyret does not score with (euclidean, manhattan) is an error naming the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonFile } from '../util/schema.js';

export function declaredSimilarity(dir: string): 'cosine' | 'ip' | undefined {
  const p = join(dir, 'config_sentence_transformers.json');
  if (!existsSync(p)) return undefined;
  const j = parseJsonFile(readFileSync(p, 'utf8'), p);
  const v = j !== null && typeof j === 'object' ? (j as Record<string, unknown>).similarity_fn_name : undefined;
  if (v === undefined || v === null) return undefined;
  if (v === 'cosine') return 'cosine';
  if (v === 'dot' || v === 'dot_product') return 'ip';
  throw new Error(`${p}: field similarity_fn_name: '${String(v)}' (polyret scores with cosine or dot; pass --similarity ip|cosine to choose)`);
}
