/**
 * Hugging Face tokenizers (`tokenizer.json`: WordPiece for mBERT/LaBSE, Unigram/SentencePiece for XLM-R, BPE)
 * through `@huggingface/tokenizers`, with what batching for a model needs on top: truncation to a maximum
 * length that counts the special tokens, padding, attention masks, token type ids, and typed arrays ready
 * to become tensors.
 *
 * Semantics follow Hugging Face's fast tokenizers: special tokens come from the tokenizer's post-processor
 * (`[CLS] A [SEP] B [SEP]`, `<s> A </s></s> B </s>`, ...); truncation cuts the text tokens (never the special
 * tokens) so the total fits `maxLength`, with the `longest_first` strategy for pairs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfJsTokenizer } from '@huggingface/tokenizers';
import { fixNormalizers, fixPreTokenizers, fixUnigramScores } from './tokenizerFixes.js';

/** How to pad a batch: to its longest row, to `maxLength`, or not at all (rows must then be equal length). */
export type PaddingMode = 'longest' | 'max_length' | 'none';

export interface BatchEncodeOptions {
  /** Maximum tokens per row including special tokens; defaults to the tokenizer's model_max_length. */
  maxLength?: number;
  /** Cut rows longer than maxLength (default true). When false, an over-long row is an error. */
  truncation?: boolean;
  /** Default 'longest'. */
  padding?: PaddingMode;
  /** Round the padded length up to a multiple of this (e.g. 8 for tensor cores). */
  padToMultipleOf?: number;
  /** Add the post-processor's special tokens (default true). */
  addSpecialTokens?: boolean;
  /** Defaults to tokenizer_config.json's padding_side, else 'right'. */
  paddingSide?: 'left' | 'right';
}

/** A batch as flat row-major arrays of shape [batchSize, seqLength]. */
export interface EncodedBatch<A extends Int32Array | BigInt64Array> {
  inputIds: A;
  attentionMask: A;
  tokenTypeIds: A;
  shape: [number, number];
  /** Unpadded length of each row (including special tokens). */
  lengths: number[];
  /** Whether each row was truncated. */
  truncated: boolean[];
}

/** One encoded sequence (or pair), before padding. */
export interface Encoded {
  ids: number[];
  tokens: string[];
  tokenTypeIds: number[];
  truncated: boolean;
}

/** Named special tokens of a tokenizer, with their ids when the vocabulary has them. */
export interface SpecialTokens {
  pad?: { token: string; id: number };
  unk?: { token: string; id: number };
  cls?: { token: string; id: number };
  sep?: { token: string; id: number };
  mask?: { token: string; id: number };
  bos?: { token: string; id: number };
  eos?: { token: string; id: number };
}

/** The fields of a model's config.json that must agree with its tokenizer. */
export interface ModelVocabConfig {
  vocab_size?: number;
  pad_token_id?: number | null;
  type_vocab_size?: number;
  max_position_embeddings?: number;
  model_type?: string;
}

type JsonObject = Record<string, unknown>;

/** transformers writes this sentinel (int(1e30)) as model_max_length when the model declares none. */
const UNSET_MAX_LENGTH = 1e15;

function readJsonFile(path: string, what: string): JsonObject {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${what} is not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${path}: ${what} must be a JSON object`);
  return raw as JsonObject;
}

/** A special token in tokenizer_config.json is a string or an AddedToken-like `{content: ...}`. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as JsonObject).content === 'string') return (v as JsonObject).content as string;
  return undefined;
}

export interface TokenizerSource {
  /** Path of tokenizer.json (for error messages). */
  tokenizerPath: string;
  tokenizerJson: JsonObject;
  /** Path of tokenizer_config.json when there is one. */
  configPath?: string;
  config?: JsonObject;
  /** special_tokens_map.json, merged under the config (the config wins). */
  specialTokensMap?: JsonObject;
}

export class HfTokenizer {
  private readonly tok: HfJsTokenizer;
  private readonly addedIds = new Map<string, number>();
  private readonly unkId: number | undefined;
  private readonly specialsSingle: number;
  private readonly specialsPair: number;
  readonly specialTokens: SpecialTokens;
  /** Largest id + 1 over the model vocabulary and added tokens: the embedding rows a model needs. */
  readonly vocabSize: number;
  /** model_max_length from tokenizer_config.json (or tokenizer.json's truncation), when declared. */
  readonly modelMaxLength: number | undefined;
  readonly paddingSide: 'left' | 'right';
  readonly tokenizerPath: string;
  readonly configPath: string | undefined;

  constructor(src: TokenizerSource) {
    this.tokenizerPath = src.tokenizerPath;
    this.configPath = src.configPath;
    const j = src.tokenizerJson;
    const model = j.model as JsonObject | undefined;
    if (!model || typeof model !== 'object' || typeof model.type !== 'string' && !model.vocab) {
      throw new Error(`${src.tokenizerPath}: field "model" missing or without a type/vocab (not a tokenizer.json?)`);
    }
    const config: JsonObject = { ...(src.specialTokensMap ?? {}), ...(src.config ?? {}) };
    try {
      this.tok = new HfJsTokenizer(j, config);
      fixNormalizers(this.tok, src.tokenizerPath);
      fixPreTokenizers(this.tok, j.pre_tokenizer);
      fixUnigramScores(this.tok, j.model);
    } catch (err) {
      throw new Error(`${src.tokenizerPath}: cannot build the tokenizer (${(err as Error).message})`);
    }
    for (const [id, t] of this.tok.get_added_tokens_decoder()) this.addedIds.set(t.content, id);
    const vocab = this.tok.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    for (const id of this.addedIds.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.unkId = this.tok.model?.unk_token_id;

    const lookup = (token: string | undefined): { token: string; id: number } | undefined => {
      if (token === undefined) return undefined;
      const id = this.idOf(token);
      return id === undefined ? undefined : { token, id };
    };
    const firstPresent = (...candidates: string[]): string | undefined => candidates.find((c) => this.idOf(c) !== undefined);
    const padding = j.padding as JsonObject | null | undefined;
    const cfgTok = (k: string) => tokenString(config[k]);
    this.specialTokens = {
      pad: lookup(cfgTok('pad_token') ?? (typeof padding?.pad_token === 'string' ? padding.pad_token : undefined) ?? firstPresent('[PAD]', '<pad>')),
      unk: lookup(cfgTok('unk_token') ?? (typeof model.unk_token === 'string' ? model.unk_token : undefined) ?? firstPresent('[UNK]', '<unk>')),
      cls: lookup(cfgTok('cls_token') ?? firstPresent('[CLS]', '<s>')),
      sep: lookup(cfgTok('sep_token') ?? firstPresent('[SEP]', '</s>')),
      mask: lookup(cfgTok('mask_token') ?? firstPresent('[MASK]', '<mask>')),
      bos: lookup(cfgTok('bos_token') ?? firstPresent('<s>')),
      eos: lookup(cfgTok('eos_token') ?? firstPresent('</s>')),
    };

    const declared = config.model_max_length;
    const trunc = j.truncation as JsonObject | null | undefined;
    if (typeof declared === 'number' && declared > 0 && declared < UNSET_MAX_LENGTH) this.modelMaxLength = declared;
    else if (trunc && typeof trunc.max_length === 'number') this.modelMaxLength = trunc.max_length;
    const side = config.padding_side ?? padding?.direction;
    this.paddingSide = side === 'left' || side === 'Left' ? 'left' : 'right';

    // How many tokens the post-processor adds, to budget truncation.
    this.specialsSingle = this.postProcess([], null, true).tokens.length;
    this.specialsPair = this.postProcess([], [], true).tokens.length;
  }

  /** Loads `tokenizer.json` and, when given or beside it, `tokenizer_config.json` and `special_tokens_map.json`. */
  static fromFile(tokenizerJsonPath: string, tokenizerConfigPath?: string): HfTokenizer {
    const dir = join(tokenizerJsonPath, '..');
    const cfgPath = tokenizerConfigPath ?? (existsSync(join(dir, 'tokenizer_config.json')) ? join(dir, 'tokenizer_config.json') : undefined);
    const mapPath = join(dir, 'special_tokens_map.json');
    return new HfTokenizer({
      tokenizerPath: tokenizerJsonPath,
      tokenizerJson: readJsonFile(tokenizerJsonPath, 'tokenizer.json'),
      configPath: cfgPath,
      config: cfgPath ? readJsonFile(cfgPath, 'tokenizer_config.json') : undefined,
      specialTokensMap: existsSync(mapPath) ? readJsonFile(mapPath, 'special_tokens_map.json') : undefined,
    });
  }

  /** Loads the tokenizer of a model folder (which must hold tokenizer.json). */
  static fromFolder(dir: string): HfTokenizer {
    const p = join(dir, 'tokenizer.json');
    if (!existsSync(p)) {
      const hint = existsSync(join(dir, 'vocab.txt')) || existsSync(join(dir, 'sentencepiece.bpe.model'))
        ? ' (the folder has only a slow-tokenizer vocabulary; convert it to tokenizer.json with transformers: AutoTokenizer.from_pretrained(dir).save_pretrained(dir))'
        : '';
      throw new Error(`tokenizer.json not found in ${dir}${hint}`);
    }
    return HfTokenizer.fromFile(p);
  }

  /** The id of a token (added tokens first, as the tokenizer itself resolves them), or undefined. */
  idOf(token: string): number | undefined {
    return this.addedIds.get(token) ?? this.tok.token_to_id(token);
  }

  tokenOf(id: number): string | undefined {
    return this.tok.id_to_token(id) ?? [...this.addedIds].find(([, i]) => i === id)?.[0];
  }

  get padTokenId(): number | undefined {
    return this.specialTokens.pad?.id;
  }

  /** Number of special tokens the post-processor adds to a single sequence (pair: `true`). */
  numSpecialTokens(pair = false): number {
    return pair ? this.specialsPair : this.specialsSingle;
  }

  /** Text → sub-word tokens, without special tokens. */
  tokenize(text: string): string[] {
    return this.tok.tokenize(text, { add_special_tokens: false });
  }

  private postProcess(a: string[], b: string[] | null, addSpecial: boolean): { tokens: string[]; tokenTypeIds: number[] } {
    const pp = this.tok.post_processor;
    if (pp) {
      const out = pp(a, b, addSpecial);
      const types = out.token_type_ids ?? new Array<number>(out.tokens.length).fill(0);
      return { tokens: out.tokens, tokenTypeIds: types };
    }
    // No post-processor: plain concatenation, the second sequence gets type 1 (as the Rust library does).
    return { tokens: [...a, ...(b ?? [])], tokenTypeIds: [...a.map(() => 0), ...(b ?? []).map(() => 1)] };
  }

  private toId(token: string): number {
    const id = this.idOf(token) ?? this.unkId;
    if (id === undefined) throw new Error(`${this.tokenizerPath}: token ${JSON.stringify(token)} has no id and the model has no unknown token`);
    return id;
  }

  /**
   * Encodes one text (or a pair) with special tokens; when `maxLength` is given and `truncation` is not false,
   * text tokens are cut so the whole fits.
   */
  encode(text: string, pair?: string | null, opts: { maxLength?: number; truncation?: boolean; addSpecialTokens?: boolean } = {}): Encoded {
    const add = opts.addSpecialTokens ?? true;
    let a = this.tokenize(text);
    let b = pair === undefined || pair === null ? null : this.tokenize(pair);
    let truncated = false;
    const maxLength = opts.maxLength;
    if (maxLength !== undefined) {
      if (!Number.isInteger(maxLength) || maxLength <= 0) throw new Error(`maxLength must be a positive integer, got ${maxLength}`);
      const specials = add ? (b ? this.specialsPair : this.specialsSingle) : 0;
      const budget = maxLength - specials;
      const total = a.length + (b?.length ?? 0);
      if (total > budget) {
        if (opts.truncation === false) {
          throw new Error(`sequence of ${total + specials} tokens exceeds maxLength ${maxLength} and truncation is off`);
        }
        if (budget < 0) {
          throw new Error(`maxLength ${maxLength} is smaller than the ${specials} special tokens ${this.tokenizerPath} adds`);
        }
        truncated = true;
        if (!b) a = a.slice(0, budget);
        else [a, b] = truncateLongestFirst(a, b, budget);
      }
    }
    const { tokens, tokenTypeIds } = this.postProcess(a, b, add);
    return { ids: tokens.map((t) => this.toId(t)), tokens, tokenTypeIds, truncated };
  }

  /**
   * Encodes a batch into padded row-major arrays. `texts` are single texts, or `[a, b]` pairs.
   * Ids come as Int32Array by default, BigInt64Array with `dtype: 'int64'`.
   */
  encodeBatch(texts: ReadonlyArray<string | readonly [string, string]>, opts?: BatchEncodeOptions & { dtype?: 'int32' }): EncodedBatch<Int32Array>;
  encodeBatch(texts: ReadonlyArray<string | readonly [string, string]>, opts: BatchEncodeOptions & { dtype: 'int64' }): EncodedBatch<BigInt64Array>;
  encodeBatch(
    texts: ReadonlyArray<string | readonly [string, string]>,
    opts: BatchEncodeOptions & { dtype?: 'int32' | 'int64' } = {},
  ): EncodedBatch<Int32Array> | EncodedBatch<BigInt64Array> {
    const padding = opts.padding ?? 'longest';
    const maxLength = opts.maxLength ?? this.modelMaxLength;
    const truncation = opts.truncation ?? true;
    if (padding === 'max_length' && maxLength === undefined) {
      throw new Error(`padding 'max_length' needs maxLength (${this.configPath ?? this.tokenizerPath} declares no model_max_length)`);
    }
    const rows = texts.map((t, i) => {
      if (typeof t !== 'string' && !(Array.isArray(t) && t.length === 2 && typeof t[0] === 'string' && typeof t[1] === 'string')) {
        throw new Error(`encodeBatch: item ${i} is neither a string nor a [string, string] pair`);
      }
      return typeof t === 'string'
        ? this.encode(t, null, { maxLength, truncation, addSpecialTokens: opts.addSpecialTokens })
        : this.encode(t[0], t[1], { maxLength, truncation, addSpecialTokens: opts.addSpecialTokens });
    });
    let seq = padding === 'max_length' ? maxLength! : Math.max(0, ...rows.map((r) => r.ids.length));
    if (padding === 'none' && rows.some((r) => r.ids.length !== seq)) {
      throw new Error(`padding 'none' needs rows of equal length, got lengths ${rows.map((r) => r.ids.length).join(', ')}`);
    }
    const mult = opts.padToMultipleOf;
    if (mult !== undefined && mult > 1) seq = Math.ceil(seq / mult) * mult;
    const needsPad = rows.some((r) => r.ids.length < seq);
    const padId = this.padTokenId;
    if (needsPad && padId === undefined) {
      throw new Error(`${this.configPath ?? this.tokenizerPath}: padding needs a pad token but none is defined (set pad_token in tokenizer_config.json)`);
    }
    const n = rows.length * seq;
    const wide = opts.dtype === 'int64';
    const ids = new Int32Array(n);
    const mask = new Int32Array(n);
    const types = new Int32Array(n);
    const left = (opts.paddingSide ?? this.paddingSide) === 'left';
    rows.forEach((r, i) => {
      const base = i * seq;
      const off = left ? seq - r.ids.length : 0;
      if (needsPad) ids.fill(padId!, base, base + seq);
      for (let k = 0; k < r.ids.length; k++) {
        ids[base + off + k] = r.ids[k]!;
        mask[base + off + k] = 1;
        types[base + off + k] = r.tokenTypeIds[k]!;
      }
    });
    const common = { shape: [rows.length, seq] as [number, number], lengths: rows.map((r) => r.ids.length), truncated: rows.map((r) => r.truncated) };
    if (!wide) return { inputIds: ids, attentionMask: mask, tokenTypeIds: types, ...common };
    return { inputIds: toBigInt64(ids), attentionMask: toBigInt64(mask), tokenTypeIds: toBigInt64(types), ...common };
  }

  decode(ids: ArrayLike<number | bigint>, opts: { skipSpecialTokens?: boolean } = {}): string {
    const list = Array.from(ids, (x) => Number(x));
    if (list.length === 0) return '';
    return this.tok.decode(list, { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  /**
   * Checks that this tokenizer fits a model's config.json: every token id below vocab_size, the pad id equal,
   * token type ids within type_vocab_size, and max length within the position embeddings. Throws an Error naming
   * both files on the first mismatch.
   */
  checkModelConfig(config: ModelVocabConfig, configPath = 'config.json', maxLength = this.modelMaxLength): void {
    const where = `tokenizer ${this.tokenizerPath} vs model ${configPath}`;
    if (typeof config.vocab_size !== 'number') throw new Error(`${configPath}: field vocab_size missing or not a number`);
    if (this.vocabSize > config.vocab_size) {
      throw new Error(`${where}: the tokenizer has ids up to ${this.vocabSize - 1} (vocabulary of ${this.vocabSize}) but the model's vocab_size is ${config.vocab_size}; they do not belong together`);
    }
    const pad = this.padTokenId;
    if (pad !== undefined && typeof config.pad_token_id === 'number' && config.pad_token_id !== pad) {
      throw new Error(`${where}: pad token ${this.specialTokens.pad!.token} has id ${pad} but the model's pad_token_id is ${config.pad_token_id}`);
    }
    if (typeof config.type_vocab_size === 'number') {
      const maxType = Math.max(0, ...this.postProcess(['a'], ['b'], true).tokenTypeIds);
      if (maxType >= config.type_vocab_size) {
        throw new Error(`${where}: pairs use token type id ${maxType} but the model's type_vocab_size is ${config.type_vocab_size}`);
      }
    }
    if (typeof config.max_position_embeddings === 'number' && maxLength !== undefined) {
      // RoBERTa-family models number positions from padding_idx + 1, so they hold 2 fewer tokens.
      const roberta = /roberta|camembert/i.test(config.model_type ?? '');
      const offset = roberta ? (typeof config.pad_token_id === 'number' ? config.pad_token_id : 1) + 1 : 0;
      if (maxLength + offset > config.max_position_embeddings) {
        throw new Error(`${where}: max length ${maxLength} needs ${maxLength + offset} positions but the model's max_position_embeddings is ${config.max_position_embeddings}`);
      }
    }
  }

  /** Reads a model's config.json and checks it against this tokenizer (see `checkModelConfig`). */
  checkModelConfigFile(configPath: string, maxLength?: number): void {
    this.checkModelConfig(readJsonFile(configPath, 'model config') as ModelVocabConfig, configPath, maxLength ?? this.modelMaxLength);
  }
}

/**
 * Hugging Face's `longest_first` truncation of a pair to `budget` text tokens (tokenizers' `truncate_encodings`):
 * the shorter sequence keeps as much as it can, but at most half the budget when both are long.
 */
export function truncateLongestFirst<T>(a: T[], b: T[], budget: number): [T[], T[]] {
  if (a.length + b.length <= budget) return [a, b];
  let swap = false;
  let n1 = a.length;
  let n2 = b.length;
  if (n1 > n2) {
    swap = true;
    [n1, n2] = [n2, n1];
  }
  if (n1 > budget) n2 = n1;
  else n2 = Math.max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = Math.floor(budget / 2);
    n2 = n1 + (budget % 2);
  }
  if (swap) [n1, n2] = [n2, n1];
  return [a.slice(0, n1), b.slice(0, n2)];
}

function toBigInt64(a: Int32Array): BigInt64Array {
  const out = new BigInt64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]!);
  return out;
}
