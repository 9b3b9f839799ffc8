/**
 * The files of a Hugging Face model folder (transformers or sentence-transformers layout): which ones exist,
 * which weights to read, and clear errors for what is missing or inconsistent, before any tensor is built.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files of the model itself (besides weights) that polyret reads when present. */
export const MODEL_METADATA_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
] as const;

export const SAFETENSORS_WEIGHTS = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
const PYTORCH_WEIGHTS = ['pytorch_model.bin', 'pytorch_model.bin.index.json'];

/** One entry of a sentence-transformers modules.json. */
export interface SentenceTransformersModule {
  idx: number;
  name: string;
  /** Folder relative to the model root ('' for the Transformer at the root). */
  path: string;
  /** e.g. 'sentence_transformers.models.Pooling'. */
  type: string;
}

export interface ModelFiles {
  dir: string;
  /** config.json. */
  config: string;
  /** Safetensors weight files (one, or the shards of an index), absolute paths. */
  weights: string[];
  /** model.safetensors.index.json when the weights are sharded. */
  weightIndex?: string;
  /** For sharded weights: tensor name → shard path. */
  weightMap?: Map<string, string>;
  tokenizer?: string;
  tokenizerConfig?: string;
  specialTokensMap?: string;
  /** sentence-transformers pipeline, when modules.json is present. */
  modules?: SentenceTransformersModule[];
  modulesJson?: string;
  sentenceBertConfig?: string;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${what} is not valid JSON (${(err as Error).message})`);
  }
}

/** Parses and checks a modules.json (text already read). */
export function parseModulesJson(raw: unknown, path: string): SentenceTransformersModule[] {
  if (!Array.isArray(raw)) throw new Error(`${path}: modules.json must be a JSON array of {idx, name, path, type}`);
  return raw.map((m: unknown, i) => {
    const e = m as Record<string, unknown>;
    if (!e || typeof e !== 'object' || typeof e.path !== 'string' || typeof e.type !== 'string') {
      throw new Error(`${path}: entry ${i} must have string fields "path" and "type", got ${JSON.stringify(m)}`);
    }
    if (e.path.split(/[\\/]/).includes('..') || e.path.startsWith('/')) {
      throw new Error(`${path}: entry ${i} path ${JSON.stringify(e.path)} leaves the model folder`);
    }
    return { idx: typeof e.idx === 'number' ? e.idx : i, name: typeof e.name === 'string' ? e.name : String(i), path: e.path, type: e.type };
  });
}

/** Parses a model.safetensors.index.json: tensor name → shard file name (relative). */
export function parseWeightIndex(raw: unknown, path: string): Map<string, string> {
  const wm = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (!wm || typeof wm !== 'object' || Array.isArray(wm)) throw new Error(`${path}: field "weight_map" missing or not an object`);
  const out = new Map<string, string>();
  for (const [name, file] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof file !== 'string' || file.includes('..') || file.startsWith('/')) {
      throw new Error(`${path}: weight_map["${name}"] must be a shard file name inside the folder, got ${JSON.stringify(file)}`);
    }
    out.set(name, file);
  }
  return out;
}

/**
 * Finds and checks the files of a local model folder. Throws an Error naming the folder and the missing or
 * broken file: no folder, no config.json, no safetensors weights (with a hint when only PyTorch .bin weights
 * exist), shards named by the index but absent, a malformed modules.json or a module folder that is missing.
 */
export function locateModelFiles(dir: string): ModelFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`model folder not found: ${dir}`);
  const at = (f: string) => join(dir, f);
  const has = (f: string) => existsSync(at(f));
  if (!has('config.json')) throw new Error(`${dir}: config.json missing (not a Hugging Face model folder?)`);
  const out: ModelFiles = { dir, config: at('config.json'), weights: [] };

  if (has(SAFETENSORS_WEIGHTS)) {
    out.weights = [at(SAFETENSORS_WEIGHTS)];
  } else if (has(SAFETENSORS_INDEX)) {
    const idx = at(SAFETENSORS_INDEX);
    const map = parseWeightIndex(readJson(idx, 'weight index'), idx);
    const shards = [...new Set(map.values())].sort();
    const missing = shards.filter((s) => !has(s));
    if (missing.length) throw new Error(`${idx}: shard file(s) missing from ${dir}: ${missing.join(', ')}`);
    out.weightIndex = idx;
    out.weights = shards.map(at);
    out.weightMap = new Map([...map].map(([k, v]) => [k, at(v)]));
  } else {
    const bin = PYTORCH_WEIGHTS.find(has);
    if (!bin && has('onnx/model.onnx')) {
      throw new Error(`${dir}: an ONNX export (onnx/model.onnx, no safetensors weights); polyret's libtorch runtime reads safetensors. ` +
        'Run it through onnxruntime with --runtime onnx (polyret eval, polyret encode), or use the folder it was exported from');
    }
    throw new Error(
      bin
        ? `${dir}: only PyTorch pickle weights (${bin}); polyret reads safetensors. Convert once with Python: ` +
          `from transformers import AutoModel; AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`
        : `${dir}: no weights (${SAFETENSORS_WEIGHTS} or ${SAFETENSORS_INDEX})`,
    );
  }

  if (has('tokenizer.json')) out.tokenizer = at('tokenizer.json');
  if (has('tokenizer_config.json')) out.tokenizerConfig = at('tokenizer_config.json');
  if (has('special_tokens_map.json')) out.specialTokensMap = at('special_tokens_map.json');
  if (has('sentence_bert_config.json')) out.sentenceBertConfig = at('sentence_bert_config.json');
  if (has('modules.json')) {
    const mj = at('modules.json');
    const modules = parseModulesJson(readJson(mj, 'modules.json'), mj);
    for (const m of modules) {
      // Normalize has no files, so its folder is usually absent from repos; every other module needs its folder.
      if (m.path !== '' && !/Normalize$/.test(m.type) && !has(m.path)) {
        throw new Error(`${mj}: module ${m.idx} (${m.type}) folder '${m.path}' missing from ${dir}`);
      }
    }
    out.modules = modules;
    out.modulesJson = mj;
  }
  return out;
}
