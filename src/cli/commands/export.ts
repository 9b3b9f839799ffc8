import { existsSync } from 'node:fs';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { intFlag, parseFlags } from '../flags.js';
import { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from '../../export/graphBuilder.js';

const usage = `Usage: polyret export --model DIR --format onnx --output OUT [--opset N] [--quantize int8]

Writes a model folder that transformers.js (@huggingface/transformers) and onnxruntime load offline
(docs/deploying.md): onnx/model.onnx (fp32), config.json, tokenizer.json, tokenizer_config.json,
special_tokens_map.json and, for a sentence-transformers folder, modules.json with its Pooling/Dense folders and
prompts. The graph takes input_ids, attention_mask (and token_type_ids for BERT), int64 [batch, sequence], and
gives last_hidden_state and, for a sentence-transformers folder, sentence_embedding (pooling, Dense and Normalize
inside the graph). The graph is written from TypeScript; no Python is needed.

  --model DIR        model folder (BERT / XLM-R / RoBERTa, transformers or sentence-transformers layout)
  --format onnx      the only format
  --output OUT       folder to create; it must not exist (written beside it, renamed into place when complete)
  --opset N          ONNX opset, ${MIN_OPSET}–${MAX_OPSET} (default ${DEFAULT_OPSET}; from 17 LayerNormalization is one op)
  --quantize int8    also write onnx/model_quantized.onnx: the Transformer's matrix products with int8 weights
                     (per output channel) and dynamically quantized uint8 activations
`;

const command: Command = {
  name: 'export',
  summary: 'export a model folder to ONNX for transformers.js / onnxruntime (fp32, optional dynamic int8)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      model: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string' },
      opset: { type: 'string', default: String(DEFAULT_OPSET) },
      quantize: { type: 'string' },
    }, usage);
    for (const k of ['model', 'format', 'output'] as const) if (!values[k]) throw new UsageError(`--${k} is required\n\n${usage}`);
    if (values.format !== 'onnx') throw new UsageError(`--format must be onnx, got '${values.format}'`);
    if (values.quantize !== undefined && values.quantize !== 'int8') throw new UsageError(`--quantize must be int8, got '${values.quantize}'`);
    const opset = intFlag('opset', values.opset);
    if (opset < MIN_OPSET || opset > MAX_OPSET) throw new UsageError(`--opset must be between ${MIN_OPSET} and ${MAX_OPSET}, got ${opset}`);
    // Checked before libtorch loads, so the answer is immediate (exportOnnx checks again).
    if (existsSync(values.output!)) throw new Error(`output ${values.output} already exists; polyret export never overwrites a folder (remove it or choose another --output)`);
    const { exportOnnx } = await import('../../export/exportOnnx.js');
    const t0 = performance.now();
    const r = exportOnnx({ model: values.model!, output: values.output!, opset, quantize: values.quantize === 'int8' ? 'int8' : null });
    process.stderr.write(
      `exported ${values.model} → ${r.output} (opset ${r.opset}; inputs ${r.inputs.join(', ')}; outputs ${r.outputs.join(', ')}` +
      `${r.embeddingDim !== null ? ` [${r.embeddingDim}]` : ''}; ${r.files.length} files) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  },
};

export default command;
