import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { bf16Note, setNumThreads } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { loadPretrained } from '../../models/load.js';
import { isPoolingMode, type PoolingMode } from '../../models/pooling.js';
import { readTexts, type TextItem } from '../../models/textInput.js';
import { embeddingFormatOf, writeEmbeddingOutput } from '../../models/embeddingOutput.js';
import { availableParallelism } from 'node:os';
import { intFlag, parseFlags } from '../flags.js';
import { checkOutputFile } from '../../util/outputWriter.js';
import { checkDevice } from '../device.js';
import { precisionFlag, precisionHelp } from '../precision.js';

const usage = `Usage: polyret encode --model DIR|ORG/NAME --input FILE --output FILE [options]

Encodes texts with a Hugging Face encoder (BERT, XLM-R, LaBSE, mE5, ... see docs/models.md).

  --model DIR          model folder (config.json, model.safetensors, tokenizer.json[, modules.json]) or a Hub id
  --input FILE         .jsonl ({"id": ..., "text": ...} per line) or .tsv (id<TAB>text per line)
  --output FILE        .safetensors (tensor 'embeddings' float32 [N, D], ids in __metadata__.ids)
                       or .npy (float32 [N, D]) plus FILE.ids.json
  --pooling MODE       model (default: the folder's sentence-transformers modules, else mean pooling),
                       or cls | mean | max | mean_sqrt_len of the last hidden state (no Dense/Normalize)
  --normalize          L2-normalise the output vectors
  --prefix TEXT        prepended to every text, e.g. 'query: ' or 'passage: ' for E5 models
  --max-length N       tokens per text incl. special tokens (default: the model's max_seq_length)
  --batch-size N       texts per forward pass (default 32); texts are batched by token length
  --device DEV         cpu (default) or cuda[:N]
${precisionHelp(23)}
  --threads N          CPU threads for libtorch and OpenBLAS (default: all cores)
  --aten-threads N     libtorch's own (OpenMP) threads alone; 1 with OpenBLAS on all cores is fastest for
                       small encoders on a 2-core machine
  --runtime NAME       libtorch (default), or onnx: a folder written by 'polyret export --format onnx', run through
                       onnxruntime-node (pooling model or mean; --threads sets onnxruntime's threads)
  --onnx-file FILE     with --runtime onnx: the graph inside the folder (default onnx/model.onnx)
`;

const command: Command = {
  name: 'encode',
  summary: 'encode texts (JSONL/TSV) into an embeddings file with a Hugging Face encoder',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      model: { type: 'string' },
      input: { type: 'string' },
      output: { type: 'string' },
      pooling: { type: 'string', default: 'model' },
      normalize: { type: 'boolean', default: false },
      prefix: { type: 'string', default: '' },
      'max-length': { type: 'string' },
      'batch-size': { type: 'string', default: '32' },
      device: { type: 'string', default: 'cpu' },
      threads: { type: 'string' },
      'aten-threads': { type: 'string' },
      runtime: { type: 'string', default: 'libtorch' },
      'onnx-file': { type: 'string' },
      precision: { type: 'string', default: 'fp32' },
    }, usage);
    if (values.runtime !== 'libtorch' && values.runtime !== 'onnx') throw new UsageError(`--runtime must be libtorch or onnx, got '${values.runtime}'`);
    if (values['onnx-file'] && values.runtime !== 'onnx') throw new UsageError('--onnx-file needs --runtime onnx');
    if (!values.model || !values.input || !values.output) throw new UsageError(`--model, --input and --output are required\n\n${usage}`);
    const posInt = (flag: string, v: string | undefined): number | undefined => (v === undefined ? undefined : intFlag(flag, v));
    const pooling = values.pooling;
    if (pooling !== 'model' && !isPoolingMode(pooling)) throw new UsageError(`--pooling must be model, cls, mean, max or mean_sqrt_len, got '${pooling}'`);
    await checkDevice(values.device);
    try {
      embeddingFormatOf(values.output);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    // The targets are checked before the model is loaded, so a bad --output fails in a second, not after the work.
    checkOutputFile(values.output);
    if (embeddingFormatOf(values.output) === 'npy') checkOutputFile(`${values.output}.ids.json`);
    const precision = precisionFlag(values.precision);
    const batchSize = posInt('batch-size', values['batch-size'])!;
    const maxLength = posInt('max-length', values['max-length']);
    const threads = posInt('threads', values.threads);
    const atenThreads = posInt('aten-threads', values['aten-threads']);
    if (threads || atenThreads) setNumThreads(atenThreads ?? threads!, threads ?? availableParallelism());

    const items = readTexts(values.input);
    const note = bf16Note(precision, values.device);
    if (note) process.stderr.write(`${note}\n`);
    if (values.runtime === 'onnx') {
      if (pooling !== 'model' && pooling !== 'mean') throw new UsageError(`--runtime onnx pools with the graph's pipeline (model) or mean, got '${pooling}'`);
      if (values.device !== 'cpu') throw new UsageError('--runtime onnx runs on the CPU (onnxruntime-node\'s CPU provider)');
      await encodeOnnx(values.model, items, { file: values['onnx-file'], threads, batchSize, maxLength, prefix: values.prefix, pooling, normalize: values.normalize, output: values.output });
      return 0;
    }
    const enc = await loadPretrained(values.model, { device: values.device });
    try {
      const t0 = performance.now();
      const rows = enc.tokenize(items.map((x) => x.text), { maxLength, prefix: values.prefix });
      const t1 = performance.now();
      const progress = new Progress({ total: items.length, label: 'encode', unit: 'texts' });
      const out = enc.encodeIds(rows, { batchSize, pooling: pooling as PoolingMode | 'model', normalize: values.normalize, progress, precision });
      const t2 = performance.now();
      progress.finish();
      const files = writeEmbeddingOutput(values.output, items.map((x) => x.id), out.vectors, out.dim);
      const tokens = rows.reduce((n, r) => n + r.length, 0);
      const sec = (t2 - t0) / 1000;
      process.stderr.write(
        `encoded ${items.length} texts (${tokens} tokens) into [${items.length}, ${out.dim}] in ${sec.toFixed(2)} s ` +
        `(tokenize ${((t1 - t0) / 1000).toFixed(2)} s, model ${((t2 - t1) / 1000).toFixed(2)} s, ${precision}): ${(items.length / sec).toFixed(1)} texts/s\n` +
        `wrote ${files.join(', ')}\n`,
      );
    } finally {
      enc.dispose();
    }
    return 0;
  },
};

/** `--runtime onnx`: the exported folder through onnxruntime-node, written like the libtorch path. */
async function encodeOnnx(dir: string, items: TextItem[], o: {
  file?: string; threads?: number; batchSize: number; maxLength?: number; prefix: string; pooling: 'model' | 'mean'; normalize: boolean; output: string;
}): Promise<void> {
  const { OnnxSentenceEncoder } = await import('../../eval/onnxEncoder.js');
  const { normalizeRows } = await import('../../eval/search/innerProductsJs.js');
  const enc = await OnnxSentenceEncoder.load(dir, { file: o.file, threads: o.threads });
  try {
    const t0 = performance.now();
    const rows = enc.tokenize(items.map((x) => x.text), o.prefix, o.maxLength);
    const t1 = performance.now();
    const progress = new Progress({ total: items.length, label: 'encode (onnx)', unit: 'texts' });
    const out = await enc.encodeIds(rows, o.batchSize, (n) => progress.tick(n), o.pooling);
    const t2 = performance.now();
    progress.finish();
    const vectors = o.normalize ? normalizeRows(out.vectors, out.dim) : out.vectors;
    const files = writeEmbeddingOutput(o.output, items.map((x) => x.id), vectors, out.dim);
    const sec = (t2 - t0) / 1000;
    process.stderr.write(
      `encoded ${items.length} texts (${rows.reduce((n, r) => n + r.length, 0)} tokens) into [${items.length}, ${out.dim}] with onnxruntime in ${sec.toFixed(2)} s ` +
      `(tokenize ${((t1 - t0) / 1000).toFixed(2)} s, model ${((t2 - t1) / 1000).toFixed(2)} s): ${(items.length / sec).toFixed(1)} texts/s\n` +
      `wrote ${files.join(', ')}\n`,
    );
  } finally {
    await enc.release();
  }
}

export default command;
