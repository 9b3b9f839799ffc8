/**
 * Saving a SentenceEncoder as a sentence-transformers folder that transformers, sentence-transformers and
 * transformers.js load unchanged:
 *   config.json, model.safetensors (transformers' names, metadata format=pt), tokenizer files,
 *   modules.json, sentence_bert_config.json, config_sentence_transformers.json,
 *   <n>_Pooling/config.json, <n>_Dense/{config.json, model.safetensors}, <n>_Normalize/
 * The folder is written as a whole (into a temporary folder beside it, renamed into place at the end: a failure or
 * a full disk leaves the target as it was); tensors are written as they are, so save → load → save is
 * byte-identical.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { saveTensors, torchVersion } from '../tensor/index.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { writeOutputFolderSync } from '../util/outputWriter.js';
import { encoderConfigJson } from './config.js';
import { poolingConfigJson } from './pooling.js';
import { denseConfigJson } from './dense.js';
import type { SentenceEncoder } from './sentenceTransformer.js';

const WEIGHTS_METADATA = { format: 'pt' };

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Where each stage is saved: its own folder name, or sentence-transformers' `<idx>_<Kind>` for new stages. */
function stageFolder(path: string, idx: number, kind: string): string {
  return path !== '' && !path.includes('..') && !path.startsWith('/') ? path : `${idx}_${kind}`;
}

/**
 * Writes `enc` as the folder `dir`, atomically as a whole. An existing folder there is replaced unless
 * `replace` is false (then only an empty one is); `extra` writes more files into the set before it is renamed. Returns the list of files written, relative to `dir`.
 */
export function saveSentenceEncoder(enc: SentenceEncoder, dir: string, opts: { replace?: boolean; extra?: (tmpDir: string) => void } = {}): string[] {
  return writeOutputFolderSync(dir, { existing: opts.replace === false ? 'empty' : () => true, what: 'model folder' }, (out) => {
    const files = saveInto(enc, out.tmpDir, dir);
    // Extra files of the same set (e.g. the training languages) are written before the rename, so they are atomic too.
    opts.extra?.(out.tmpDir);
    return files;
  });
}

function saveInto(enc: SentenceEncoder, dir: string, target: string): string[] {
  const written: string[] = [];
  const put = (rel: string, write: (abs: string) => void) => {
    const abs = join(dir, rel);
    write(abs);
    written.push(rel);
  };
  put('config.json', (p) => writeJson(p, encoderConfigJson(enc.config, enc.transformer.architecture)));
  put('model.safetensors', (p) => saveTensors(p, enc.transformer.stateDict(), WEIGHTS_METADATA));

  for (const src of enc.tokenizerFiles) {
    const name = basename(src);
    if (!existsSync(src)) throw new Error(`tokenizer file ${src} disappeared before saving to ${target}`);
    put(name, (p) => writeFileAtomic(p, readFileSync(src)));
  }
  if (!enc.tokenizerFiles.some((f) => basename(f) === 'tokenizer.json')) throw new Error(`cannot save to ${target}: the encoder has no tokenizer.json to copy`);

  const modules: Array<{ idx: number; name: string; path: string; type: string }> = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
  ];
  enc.stages.forEach((s, i) => {
    const idx = i + 1;
    if (s.kind === 'pooling') {
      const folder = stageFolder(s.path, idx, 'Pooling');
      mkdirSync(join(dir, folder), { recursive: true });
      put(`${folder}/config.json`, (p) => writeJson(p, poolingConfigJson(s.config)));
      modules.push({ idx, name: String(idx), path: folder, type: 'sentence_transformers.models.Pooling' });
    } else if (s.kind === 'dense') {
      const folder = stageFolder(s.path, idx, 'Dense');
      mkdirSync(join(dir, folder), { recursive: true });
      put(`${folder}/config.json`, (p) => writeJson(p, denseConfigJson(s.module.config)));
      put(`${folder}/model.safetensors`, (p) => saveTensors(p, s.module.stateDict(), WEIGHTS_METADATA));
      modules.push({ idx, name: String(idx), path: folder, type: 'sentence_transformers.models.Dense' });
    } else {
      const folder = stageFolder(s.path, idx, 'Normalize');
      mkdirSync(join(dir, folder), { recursive: true });
      modules.push({ idx, name: String(idx), path: folder, type: 'sentence_transformers.models.Normalize' });
    }
  });
  put('modules.json', (p) => writeJson(p, modules));
  put('sentence_bert_config.json', (p) => writeJson(p, { max_seq_length: enc.maxSeqLength, do_lower_case: false }));
  put('config_sentence_transformers.json', (p) => writeJson(p, {
    __version__: { polyret: '0.1.0', pytorch: torchVersion() },
    prompts: enc.prompts,
    default_prompt_name: null,
    similarity_fn_name: 'cosine',
  }));
  return written;
}
