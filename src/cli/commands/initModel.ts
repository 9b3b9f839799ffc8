import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { createEncoderFromScratch } from '../../models/fromScratch.js';
import { saveSentenceEncoder } from '../../models/save.js';
import { isPoolingMode } from '../../models/pooling.js';
import { SUPPORTED_MODEL_TYPES, type EncoderModelType } from '../../models/config.js';
import { intFlag, parseFlags } from '../flags.js';
import { checkOutputFolder } from '../../util/outputWriter.js';

const usage = `Usage: polyret init-model --arch bert|xlm-roberta --layers N --hidden N --heads N --vocab-from tokenizer.json --output DIR [options]

Creates a randomly initialised encoder (BERT's initialisation: N(0, 0.02) weights, zero biases, LayerNorm 1/0,
zero padding rows) as a sentence-transformers folder, for studies without pretrained weights (docs/models.md).

  --arch NAME          bert | xlm-roberta | roberta (layout and position numbering)
  --layers N           Transformer layers
  --hidden N           hidden size (a multiple of --heads)
  --heads N            attention heads
  --intermediate N     feed-forward size (default 4 × hidden)
  --vocab-from FILE    tokenizer.json whose vocabulary sizes the embeddings; its tokenizer files are copied
  --max-length N       longest input in tokens (default: the tokenizer's model_max_length, else 512)
  --pooling MODE       cls (default) | mean | max | mean_sqrt_len
  --normalize          add a Normalize module after pooling
  --seed N             RNG seed of the initial weights (default 0)
  --output DIR         folder to write (as a whole: nothing is left behind if writing fails)
  --overwrite          replace an existing non-empty --output folder (refused otherwise)
`;

const command: Command = {
  name: 'init-model',
  summary: 'create a randomly initialised BERT / XLM-R encoder folder (BERT init) from a tokenizer',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      arch: { type: 'string' },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      heads: { type: 'string' },
      intermediate: { type: 'string' },
      'vocab-from': { type: 'string' },
      'max-length': { type: 'string' },
      pooling: { type: 'string', default: 'cls' },
      normalize: { type: 'boolean', default: false },
      seed: { type: 'string', default: '0' },
      output: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
    }, usage);
    for (const k of ['arch', 'layers', 'hidden', 'heads', 'vocab-from', 'output'] as const) {
      if (!values[k]) throw new UsageError(`--${k} is required\n\n${usage}`);
    }
    if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(values.arch!)) throw new UsageError(`--arch must be one of ${SUPPORTED_MODEL_TYPES.join(', ')}, got '${values.arch}'`);
    const int = (flag: string, v: string | undefined, min = 1): number | undefined => (v === undefined ? undefined : intFlag(flag, v, min));
    if (!isPoolingMode(values.pooling)) throw new UsageError(`--pooling must be cls, mean, max or mean_sqrt_len, got '${values.pooling}'`);
    // A user's model folder is never replaced silently; the check comes before the weights are made.
    checkOutputFolder(values.output!, { existing: 'empty', overwrite: values.overwrite, what: 'model folder' });
    const enc = createEncoderFromScratch({
      arch: values.arch as EncoderModelType,
      layers: int('layers', values.layers)!,
      hidden: int('hidden', values.hidden)!,
      heads: int('heads', values.heads)!,
      intermediate: int('intermediate', values.intermediate),
      vocabFrom: values['vocab-from']!,
      maxLength: int('max-length', values['max-length'], 2),
      pooling: values.pooling,
      normalize: values.normalize,
      seed: int('seed', values.seed, 0),
    });
    try {
      const files = saveSentenceEncoder(enc, values.output!);
      const c = enc.config;
      process.stderr.write(
        `${c.modelType}: ${c.numHiddenLayers} layers, hidden ${c.hiddenSize}, ${c.numAttentionHeads} heads, vocab ${c.vocabSize}, ` +
        `${(enc.transformer.numParameters() / 1e6).toFixed(2)}M parameters → ${values.output} (${files.length} files)\n`,
      );
    } finally {
      enc.dispose();
    }
    return 0;
  },
};

export default command;
