/**
 * `polyret export --format onnx`: a model folder → a folder that transformers.js and onnxruntime load offline:
 *
 *   onnx/model.onnx             fp32 graph (encoderGraph.ts)
 *   onnx/model_quantized.onnx   with --quantize int8: dynamic int8 matrix products
 *   config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json
 *   modules.json, <n>_Pooling/, <n>_Dense/, sentence_bert_config.json, config_sentence_transformers.json
 *                               (sentence-transformers folders: copied as they are)
 *   polyret_export.json         what was exported, how, and the graph's inputs and outputs
 *
 * Everything is checked before anything is written, then written into a temporary folder beside the target and
 * renamed into place, so a failed export leaves nothing behind and an existing folder is never touched.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { locateModelFiles } from '../models/modelFiles.js';
import { encoderConfigJson, readEncoderConfig } from '../models/config.js';
import { loadSentenceEncoder } from '../models/load.js';
import type { SentenceEncoder } from '../models/sentenceTransformer.js';
import { encodeOnnxModel } from './onnxProto.js';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, irVersionFor } from './graphBuilder.js';
import { encoderGraph } from './encoderGraph.js';

export interface ExportOptions {
  /** Source model folder (transformers or sentence-transformers layout). */
  model: string;
  /** Folder to create; must not exist. */
  output: string;
  opset?: number;
  quantize?: 'int8' | null;
}

export interface ExportResult {
  output: string;
  /** Files written, relative to the output folder. */
  files: string[];
  inputs: string[];
  outputs: string[];
  embeddingDim: number | null;
  opset: number;
}

/** protobuf messages are limited to 2 GiB; bigger models would need ONNX external data, which is not written here. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;
const SENTENCE_FILES = ['modules.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'];
const SPECIAL_TOKEN_KEYS = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask'] as const;
const PRODUCER_VERSION = '0.1.0';

/** The checks that need no weights: output free, folder complete, architecture supported, opset in range. */
function checkInputs(opts: ExportOptions, opset: number): void {
  if (existsSync(opts.output)) {
    throw new Error(`output ${opts.output} already exists; polyret export never overwrites a folder (remove it or choose another --output)`);
  }
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new Error(`--opset ${opset} is not supported: polyret writes opsets ${MIN_OPSET}–${MAX_OPSET} (default ${DEFAULT_OPSET})`);
  }
  const files = locateModelFiles(opts.model);
  readEncoderConfig(files.config);
  if (!files.tokenizer) {
    throw new Error(`${opts.model}: tokenizer.json missing; the ONNX folder needs it (transformers.js tokenizes with tokenizer.json). ` +
      `Add it to the model folder first (transformers: AutoTokenizer.from_pretrained(dir).save_pretrained(dir))`);
  }
  const parent = dirname(resolve(opts.output));
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new Error(`output ${opts.output}: folder ${parent} does not exist`);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function readJsonObject(path: string): Record<string, unknown> {
  const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Special tokens given as objects ({content, lstrip, ...}) get `"__type": "AddedToken"`: transformers.js accepts
 * only that form of object (and transformers reads it too); everything else is kept as it is.
 */
function withTypedTokens(cfg: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    const tokenObject = /_token$/.test(k) && v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { content?: unknown }).content === 'string';
    out[k] = tokenObject && (v as { __type?: unknown }).__type === undefined ? { __type: 'AddedToken', ...(v as Record<string, unknown>) } : v;
  }
  return out;
}

/** special_tokens_map.json from the tokenizer's resolved special tokens (for sources that lack the file). */
function specialTokensMap(enc: SentenceEncoder): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of SPECIAL_TOKEN_KEYS) {
    const t = enc.tokenizer.specialTokens[k];
    if (t) out[`${k}_token`] = t.token;
  }
  return out;
}

/** tokenizer_config.json for sources without one: the tokenizer class transformers.js picks, length, special tokens. */
function tokenizerConfig(enc: SentenceEncoder): Record<string, unknown> {
  return {
    tokenizer_class: enc.config.modelType === 'bert' ? 'BertTokenizer' : enc.config.modelType === 'roberta' ? 'RobertaTokenizer' : 'XLMRobertaTokenizer',
    model_max_length: enc.maxSeqLength,
    ...specialTokensMap(enc),
  };
}

/** Writes the folder's files into `tmp`; returns their relative paths. */
function writeFolder(enc: SentenceEncoder, opts: ExportOptions, opset: number, tmp: string): Omit<ExportResult, 'output'> {
  const src = opts.model;
  const files: string[] = [];
  const put = (rel: string, data: string | Uint8Array) => {
    mkdirSync(dirname(join(tmp, rel)), { recursive: true });
    writeFileSync(join(tmp, rel), data);
    files.push(rel);
  };
  const copy = (rel: string) => {
    mkdirSync(dirname(join(tmp, rel)), { recursive: true });
    copyFileSync(join(src, rel), join(tmp, rel));
    files.push(rel);
  };
  const sentence = existsSync(join(src, 'modules.json'));
  const variants: Array<{ file: string; quantize?: 'int8' }> = [{ file: 'onnx/model.onnx' }];
  if (opts.quantize === 'int8') variants.push({ file: 'onnx/model_quantized.onnx', quantize: 'int8' });
  let io = { inputs: [] as string[], outputs: [] as string[], embeddingDim: null as number | null };
  for (const v of variants) {
    const eg = encoderGraph(enc, { opset, quantize: v.quantize, sentenceEmbedding: sentence });
    if (eg.initializerBytes > PROTOBUF_LIMIT - 64 * 2 ** 20) {
      throw new Error(`${src}: ${(eg.initializerBytes / 2 ** 30).toFixed(2)} GiB of weights exceed protobuf's 2 GiB message limit; ` +
        'polyret does not write ONNX external data, so models this large cannot be exported');
    }
    const bytes = encodeOnnxModel({
      irVersion: irVersionFor(opset),
      opsetImport: [{ domain: '', version: opset }],
      producerName: 'polyret',
      producerVersion: PRODUCER_VERSION,
      docString: `${enc.config.modelType} encoder exported by polyret from ${basename(resolve(src))}`,
      graph: eg.graph,
      metadataProps: { source: basename(resolve(src)), quantization: v.quantize ?? 'none' },
    });
    put(v.file, bytes);
    io = { inputs: eg.inputNames, outputs: eg.outputNames, embeddingDim: eg.embeddingDim };
  }

  put('config.json', json(encoderConfigJson(enc.config, enc.transformer.architecture)));
  copy('tokenizer.json');
  const tc = join(src, 'tokenizer_config.json');
  // model_max_length is the length polyret encodes with (max_seq_length, clamped to the position table), so
  // transformers.js, which reads only the tokenizer config, truncates where polyret does.
  put('tokenizer_config.json', json({ ...(existsSync(tc) ? withTypedTokens(readJsonObject(tc)) : tokenizerConfig(enc)), model_max_length: enc.maxSeqLength }));
  const stm = join(src, 'special_tokens_map.json');
  put('special_tokens_map.json', json(existsSync(stm) ? withTypedTokens(readJsonObject(stm)) : specialTokensMap(enc)));

  if (sentence) {
    for (const f of SENTENCE_FILES) if (existsSync(join(src, f))) copy(f);
    const modules = JSON.parse(readFileSync(join(src, 'modules.json'), 'utf8')) as Array<{ path: string }>;
    for (const m of modules) {
      const folder = join(src, m.path);
      if (m.path === '' || !existsSync(folder)) continue;
      for (const f of readdirSync(folder)) if (statSync(join(folder, f)).isFile()) copy(join(m.path, f));
    }
  }
  // The source's prompts are kept (config_sentence_transformers.json); the export records how it was made.
  const st = existsSync(join(src, 'config_sentence_transformers.json')) ? readJsonObject(join(src, 'config_sentence_transformers.json')) : null;
  put('polyret_export.json', json({
    format: 'onnx',
    source: resolve(src),
    opset,
    files: variants.map((v) => ({ file: v.file, quantization: v.quantize ?? 'none' })),
    inputs: io.inputs,
    outputs: io.outputs,
    embedding_dim: io.embeddingDim,
    max_seq_length: enc.maxSeqLength,
    prompts: st?.prompts ?? {},
    producer: `polyret ${PRODUCER_VERSION}`,
  }));
  return { files, ...io, opset };
}

/** Exports a model folder to ONNX (see the file comment). Errors name the file or flag at fault. */
export function exportOnnx(opts: ExportOptions): ExportResult {
  const opset = opts.opset ?? DEFAULT_OPSET;
  checkInputs(opts, opset);
  const enc = loadSentenceEncoder(opts.model);
  const out = resolve(opts.output);
  const tmp = join(dirname(out), `.${basename(out)}.export-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(tmp);
    const r = writeFolder(enc, opts, opset, tmp);
    if (existsSync(out)) throw new Error(`output ${opts.output} appeared while exporting; left untouched`);
    renameSync(tmp, out);
    return { output: out, ...r };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    enc.dispose();
  }
}
