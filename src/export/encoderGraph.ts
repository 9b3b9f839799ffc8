/**
 * A SentenceEncoder (BERT or XLM-R layout, with its sentence-transformers pipeline) written as an ONNX graph that
 * computes what polyret computes, op for op in the same order of operations:
 *
 *   inputs   input_ids, attention_mask (and token_type_ids for BERT), int64 [batch_size, sequence_length]
 *   outputs  last_hidden_state [batch_size, sequence_length, H]; sentence_embedding [batch_size, D] for a folder
 *            with modules.json (Pooling → Dense* → Normalize inside the graph)
 *
 * Position ids are computed in the graph: 0..S-1 for BERT, transformers' create_position_ids_from_input_ids for
 * XLM-R / RoBERTa (padding-aware, so left- and right-padded batches give the same vectors).
 */
import type { Tensor } from '../tensor/index.js';
import type { SentenceEncoder, SentenceStage } from '../models/sentenceTransformer.js';
import { usesRobertaPositions } from '../models/config.js';
import { FLOAT32_MIN } from '../nn/attention.js';
import type { PoolingMode } from '../models/pooling.js';
import { OnnxDataType, type OnnxGraph } from './onnxProto.js';
import { GraphBuilder, MAX_OPSET, MIN_OPSET, attr } from './graphBuilder.js';
import { quantizeWeightInt8 } from './quantizeInt8.js';

export const BATCH_AXIS = 'batch_size';
export const SEQUENCE_AXIS = 'sequence_length';

export interface EncoderGraphOptions {
  opset: number;
  /** Dynamic int8 quantization of the Transformer's matrix products (weights int8 per output channel, activations uint8 per batch). */
  quantize?: 'int8';
  /** Also write sentence_embedding (the encoder's Pooling/Dense/Normalize): for sentence-transformers folders. */
  sentenceEmbedding: boolean;
}

export interface EncoderGraph {
  graph: OnnxGraph;
  inputNames: string[];
  outputNames: string[];
  /** Size of sentence_embedding, when written. */
  embeddingDim: number | null;
  initializerBytes: number;
}

/** sentence-transformers' Dense activations as ONNX ops (null: identity). */
const DENSE_ACTIVATIONS: Record<string, 'Tanh' | 'Relu' | 'Sigmoid' | 'GeluErf' | null> = {
  'torch.nn.modules.activation.Tanh': 'Tanh',
  'torch.nn.modules.linear.Identity': null,
  'torch.nn.modules.activation.ReLU': 'Relu',
  'torch.nn.modules.activation.GELU': 'GeluErf',
  'torch.nn.modules.activation.Sigmoid': 'Sigmoid',
};

function floats(t: Tensor | undefined, name: string): Float32Array {
  if (!t) throw new Error(`ONNX export: parameter ${name} missing from the model`);
  return t.toFloat32Array();
}

/** W [out, in] (PyTorch's Linear layout) → Wᵀ [in, out], what MatMul(x, Wᵀ) needs. */
function transpose(w: Float32Array, out: number, inF: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inF; i++) t[i * out + o] = w[o * inF + i]!;
  return t;
}

class EncoderGraphWriter {
  readonly g: GraphBuilder;
  private readonly state: Map<string, Tensor>;

  constructor(private readonly enc: SentenceEncoder, private readonly opts: EncoderGraphOptions) {
    this.g = new GraphBuilder(opts.opset);
    this.state = enc.transformer.stateDict();
    for (const s of enc.stages) if (s.kind === 'dense') for (const [n, t] of s.module.stateDict()) this.state.set(`${s.path}.${n}`, t);
  }

  private param(name: string): Float32Array {
    return floats(this.state.get(name), name);
  }

  private vector(name: string): string {
    return this.g.initializer(name, this.param(name), [this.state.get(name)!.shape[0]!]);
  }

  /** x [..., in] → x Wᵀ + b, fp32 or dynamically quantized to int8. */
  linear(x: string, prefix: string, quantize: boolean): string {
    const g = this.g;
    const w = this.state.get(`${prefix}.weight`);
    const [out, inF] = (w?.shape ?? []) as [number, number];
    const wt = transpose(this.param(`${prefix}.weight`), out, inF);
    const hasBias = this.state.has(`${prefix}.bias`);
    let y: string;
    if (quantize) {
      // onnxruntime's dynamic quantization pattern: x → uint8 (scale, zero point per call), MatMulInteger with int8
      // weights (symmetric per output column, zero point 0), then back to float with scale_x · scale_w.
      const q = quantizeWeightInt8(wt, inF, out);
      const wq = g.initializer(`${prefix}.weight_t_int8`, q.values, [inF, out]);
      const ws = g.initializer(`${prefix}.weight_scale`, q.scales, [out]);
      const [xq, xs, xz] = g.opN('DynamicQuantizeLinear', [x], 3, {}, `${prefix}.input_q`) as [string, string, string];
      const acc = g.op('MatMulInteger', [xq, wq, xz], {}, `${prefix}.matmul_int`);
      const accF = g.op('Cast', [acc], { to: attr.int(OnnxDataType.FLOAT) });
      y = g.op('Mul', [accF, g.op('Mul', [xs, ws])], {}, `${prefix}.matmul`);
    } else {
      y = g.op('MatMul', [x, g.initializer(`${prefix}.weight_t`, wt, [inF, out])], {}, `${prefix}.matmul`);
    }
    return hasBias ? g.op('Add', [y, this.vector(`${prefix}.bias`)], {}, `${prefix}.out`) : y;
  }

  /** LayerNormalization over the last axis (the op from opset 17; mean/variance ops before). */
  layerNorm(x: string, prefix: string, eps: number): string {
    const g = this.g;
    const gamma = this.vector(`${prefix}.weight`);
    const beta = this.vector(`${prefix}.bias`);
    if (g.opset >= 17) return g.op('LayerNormalization', [x, gamma, beta], { axis: attr.int(-1), epsilon: attr.float(eps) }, `${prefix}.out`);
    const mean = g.reduce('ReduceMean', x, [-1], true);
    const d = g.op('Sub', [x, mean]);
    const variance = g.reduce('ReduceMean', g.op('Mul', [d, d]), [-1], true);
    const std = g.op('Sqrt', [g.op('Add', [variance, g.constFloat(eps)])]);
    return g.op('Add', [g.op('Mul', [g.op('Div', [d, std]), gamma]), beta], {}, `${prefix}.out`);
  }

  /** Hugging Face's hidden_act functions, in the form libtorch computes them. */
  activation(x: string, name: string): string {
    const g = this.g;
    switch (name) {
      case 'gelu':
        return this.geluErf(x);
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast': {
        // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
        const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
        const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, g.constFloat(0.044715)])]), g.constFloat(Math.sqrt(2 / Math.PI))]);
        return g.op('Mul', [g.op('Mul', [x, g.constFloat(0.5)]), g.op('Add', [g.op('Tanh', [inner]), g.constFloat(1)])]);
      }
      case 'relu':
        return g.op('Relu', [x]);
      case 'tanh':
        return g.op('Tanh', [x]);
      case 'silu':
      case 'swish':
        return g.op('Mul', [x, g.op('Sigmoid', [x])]);
      default:
        throw new Error(`ONNX export: hidden_act '${name}' has no ONNX form here (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh, silu)`);
    }
  }

  /** 0.5 · x · (1 + erf(x / √2)): GELU, exact form. */
  geluErf(x: string): string {
    const g = this.g;
    const e = g.op('Erf', [g.op('Mul', [x, g.constFloat(Math.SQRT1_2)])]);
    return g.op('Mul', [g.op('Mul', [x, g.constFloat(0.5)]), g.op('Add', [e, g.constFloat(1)])]);
  }

  write(): EncoderGraph {
    const { enc, g, opts } = this;
    const c = enc.config;
    const bert = !usesRobertaPositions(c);
    const dyn2 = [BATCH_AXIS, SEQUENCE_AXIS];
    const ids = g.input('input_ids', OnnxDataType.INT64, dyn2);
    const mask = g.input('attention_mask', OnnxDataType.INT64, dyn2);
    const types = bert ? g.input('token_type_ids', OnnxDataType.INT64, dyn2) : null;
    const H = c.hiddenSize;
    const heads = c.numAttentionHeads;
    const headDim = H / heads;

    // Embeddings: word + token type, then + position (polyret's and transformers' order of additions).
    const word = g.op('Gather', [this.g.initializer('embeddings.word_embeddings.weight', this.param('embeddings.word_embeddings.weight'), [c.vocabSize, H]), ids], { axis: attr.int(0) }, 'word_embeddings');
    const typeTable = this.param('embeddings.token_type_embeddings.weight');
    const typed = types
      ? g.op('Add', [word, g.op('Gather', [g.initializer('embeddings.token_type_embeddings.weight', typeTable, [c.typeVocabSize, H]), types], { axis: attr.int(0) })])
      // Without a token_type_ids input every token has type 0: add that row.
      : g.op('Add', [word, g.initializer('embeddings.token_type_embeddings.row0', typeTable.slice(0, H), [H])]);
    const posTable = g.initializer('embeddings.position_embeddings.weight', this.param('embeddings.position_embeddings.weight'), [c.maxPositionEmbeddings, H]);
    let positions: string;
    if (bert) {
      const seqLen = g.op('Gather', [g.op('Shape', [ids]), g.constInt64(1)], { axis: attr.int(0) }, 'sequence_length');
      positions = g.op('Range', [g.constInt64(0), seqLen, g.constInt64(1)], {}, 'position_ids');
    } else {
      // create_position_ids_from_input_ids: cumsum(ids ≠ pad) · (ids ≠ pad) + pad.
      const notPad = g.op('Cast', [g.op('Not', [g.op('Equal', [ids, g.constInt64(c.padTokenId)])])], { to: attr.int(OnnxDataType.INT64) });
      const counted = g.op('Mul', [g.op('CumSum', [notPad, g.constInt64(1)]), notPad]);
      positions = g.op('Add', [counted, g.constInt64(c.padTokenId)], {}, 'position_ids');
    }
    const embedded = g.op('Add', [typed, g.op('Gather', [posTable, positions], { axis: attr.int(0) }, 'position_embeddings')]);
    let h = this.layerNorm(embedded, 'embeddings.LayerNorm', c.layerNormEps);

    // Additive attention mask [B, 1, 1, S]: 0 for tokens, finfo(float32).min for padding (as polyret and transformers).
    const isPad = g.op('Equal', [mask, g.constInt64(0)]);
    const additive = g.unsqueeze(g.op('Where', [isPad, g.constFloat(FLOAT32_MIN), g.constFloat(0)]), [1, 2], 'additive_mask');
    const split = g.constInt64([0, 0, heads, headDim]);
    const merge = g.constInt64([0, 0, H]);
    const scale = g.constFloat(Math.sqrt(headDim));
    const quant = opts.quantize === 'int8';

    for (let l = 0; l < c.numHiddenLayers; l++) {
      const p = `encoder.layer.${l}`;
      const headsOf = (x: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [x, split])], { perm: attr.ints(perm) });
      const q = headsOf(this.linear(h, `${p}.attention.self.query`, quant), [0, 2, 1, 3]);
      const kT = headsOf(this.linear(h, `${p}.attention.self.key`, quant), [0, 2, 3, 1]);
      const v = headsOf(this.linear(h, `${p}.attention.self.value`, quant), [0, 2, 1, 3]);
      const scores = g.op('Add', [g.op('Div', [g.op('MatMul', [q, kT]), scale]), additive], {}, `${p}.attention.scores`);
      const probs = g.op('Softmax', [scores], { axis: attr.int(-1) });
      const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: attr.ints([0, 2, 1, 3]) }), merge], {}, `${p}.attention.context`);
      const attnOut = this.layerNorm(g.op('Add', [this.linear(ctx, `${p}.attention.output.dense`, quant), h]), `${p}.attention.output.LayerNorm`, c.layerNormEps);
      const inter = this.activation(this.linear(attnOut, `${p}.intermediate.dense`, quant), c.hiddenAct);
      h = this.layerNorm(g.op('Add', [this.linear(inter, `${p}.output.dense`, quant), attnOut]), `${p}.output.LayerNorm`, c.layerNormEps);
    }
    g.output(h, 'last_hidden_state', OnnxDataType.FLOAT, [BATCH_AXIS, SEQUENCE_AXIS, H]);
    const outputNames = ['last_hidden_state'];

    let embeddingDim: number | null = null;
    if (opts.sentenceEmbedding) {
      const { value, dim } = this.pipeline(h, mask, enc.stages);
      g.output(value, 'sentence_embedding', OnnxDataType.FLOAT, [BATCH_AXIS, dim]);
      outputNames.push('sentence_embedding');
      embeddingDim = dim;
    }
    return {
      graph: g.build(`polyret_${c.modelType.replace(/-/g, '_')}_encoder`),
      inputNames: types ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask'],
      outputNames,
      embeddingDim,
      initializerBytes: g.initializerBytes,
    };
  }

  /** Pooling → Dense* → Normalize, as SentenceEncoder.forward runs them. */
  private pipeline(h: string, mask: string, stages: SentenceStage[]): { value: string; dim: number } {
    const g = this.g;
    let x = h;
    let dim = this.enc.config.hiddenSize;
    for (const s of stages) {
      if (s.kind === 'pooling') {
        const pooled = s.config.modes.map((m) => this.pool(h, mask, m));
        x = pooled.length === 1 ? pooled[0]! : g.op('Concat', pooled, { axis: attr.int(1) }, 'pooled');
        dim *= s.config.modes.length;
      } else if (s.kind === 'dense') {
        const act = DENSE_ACTIVATIONS[s.module.config.activationFunction];
        if (act === undefined) throw new Error(`ONNX export: Dense activation ${s.module.config.activationFunction} has no ONNX form here`);
        const y = this.linear(x, `${s.path}.linear`, false);
        x = act === null ? y : act === 'GeluErf' ? this.geluErf(y) : g.op(act, [y], {}, `${s.path}.out`);
        dim = s.module.config.outFeatures;
      } else {
        // torch.nn.functional.normalize: x / max(‖x‖₂, 1e-12).
        const norm = g.op('Max', [g.reduce('ReduceL2', x, [1], true), g.constFloat(1e-12)]);
        x = g.op('Div', [x, norm], {}, 'normalized');
      }
    }
    return { value: x, dim };
  }

  /** One sentence-transformers pooling mode over hidden [B, S, H] with mask [B, S] → [B, H]. */
  private pool(h: string, mask: string, mode: PoolingMode): string {
    const g = this.g;
    const m = g.unsqueeze(g.op('Cast', [mask], { to: attr.int(OnnxDataType.FLOAT) }), [-1], 'mask_float');
    if (mode === 'cls') {
      // sentence-transformers 6 (and polyret, src/models/pooling.ts) pool the first token the mask keeps, which is
      // not position 0 in a left-padded row: a one-hot of the first kept position (running count of kept tokens
      // = 1 on a kept token) picks it; h·1 + h'·0 summed is that row's state exactly.
      const running = g.op('CumSum', [m, g.constInt64(1)]);
      const first = g.op('Mul', [m, g.op('Cast', [g.op('Equal', [running, g.constFloat(1)])], { to: attr.int(OnnxDataType.FLOAT) })]);
      return g.reduce('ReduceSum', g.op('Mul', [h, first]), [1], false, 'cls_pooled');
    }
    if (mode === 'max') {
      // sentence-transformers 6 (and polyret) set padding positions to -inf before the max (before 6: -1e9).
      const filled = g.op('Where', [g.op('Equal', [m, g.constFloat(0)]), g.constFloat(-Infinity), h]);
      return g.reduce('ReduceMax', filled, [1], false, 'max_pooled');
    }
    const sum = g.reduce('ReduceSum', g.op('Mul', [h, m]), [1], false);
    const count = g.op('Max', [g.reduce('ReduceSum', m, [1], false), g.constFloat(1e-9)]);
    return g.op('Div', [sum, mode === 'mean' ? count : g.op('Sqrt', [count])], {}, `${mode}_pooled`);
  }
}

/** Writes the encoder as an ONNX graph (see the file comment for inputs and outputs). */
export function encoderGraph(enc: SentenceEncoder, opts: EncoderGraphOptions): EncoderGraph {
  if (!Number.isInteger(opts.opset) || opts.opset < MIN_OPSET || opts.opset > MAX_OPSET) {
    throw new Error(`ONNX export: opset ${opts.opset} is not supported (${MIN_OPSET}–${MAX_OPSET})`);
  }
  return new EncoderGraphWriter(enc, opts).write();
}
