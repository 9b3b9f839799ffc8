import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite.js';

/**
 * The languages a model was fine-tuned on, kept beside its weights so that every evaluation can split
 * its results into languages seen and unseen in training. `polyret train` writes it into `final/`.
 *
 * File: `polyret_training.json` = `{ "format": "polyret-training-languages", "version": 1, "languages": ["de", "en", ...] }`
 * (canonical language codes as the data readers give them, sorted).
 */
export const TRAINING_LANGUAGES_FILE = 'polyret_training.json';

/** Writes the training languages into a model folder. */
export function writeTrainingLanguages(modelDir: string, languages: Iterable<string>): void {
  const langs = [...new Set(languages)].sort();
  const doc = { format: 'polyret-training-languages', version: 1, languages: langs };
  writeFileAtomic(join(modelDir, TRAINING_LANGUAGES_FILE), `${JSON.stringify(doc, null, 2)}\n`);
}

/** The training languages recorded in a model folder, or undefined when the folder does not know them. */
export function readTrainingLanguages(modelDir: string): string[] | undefined {
  const p = join(modelDir, TRAINING_LANGUAGES_FILE);
  if (!existsSync(p)) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    throw new Error(`${p}: not valid JSON (${(err as Error).message})`);
  }
  const d = obj as { format?: unknown; languages?: unknown };
  if (d?.format !== 'polyret-training-languages') throw new Error(`${p}: field 'format' must be 'polyret-training-languages'`);
  if (!Array.isArray(d.languages) || !d.languages.every((l) => typeof l === 'string' && l.length > 0))
    throw new Error(`${p}: field 'languages' must be a list of language codes`);
  return d.languages as string[];
}
