import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { ConfigError, loadTrainConfig } from '../../train/config.js';
import { intFlag, parseFlags } from '../flags.js';
import { precisionFlag, precisionHelp } from '../precision.js';

const usage = `Usage: polyret train --config FILE [--output DIR] [--resume] [--max-steps N] [--set key=value ...]

Fine-tunes a multilingual dual encoder with InfoNCE on hybrid (or mono / cross-lingual) batches
(see docs/training.md). The defaults are the paper's recipe: batch 100 triplets, AdamW lr 3e-5,
weight decay 0.01, hybrid batches with alpha 0.5, "query: "/"passage: " prefixes, model selection
by the lowest validation loss with early stopping.

  --config FILE       training config, YAML or JSON (configs/*.yaml are examples)
  --output DIR        output folder (default: runs/<config name>): checkpoints/, best/, final/,
                      metrics.jsonl, config.yaml, summary.json
  --resume            continue from the newest valid checkpoint in DIR/checkpoints
  --max-steps N       stop after N optimizer steps (same as --set training.maxSteps=N)
${precisionHelp(22, '(same as --set training.precision=P; the loss, gradients and AdamW stay fp32)')}
  --set key=value     override a config value, e.g. --set training.lr=1e-4 --set sampling.mode=cross
                      (value read as YAML: numbers, true/false, null, [a, b])
  --quiet             no progress bar

The final (best) model is written to DIR/final as a sentence-transformers folder, ready for
\`polyret eval --model DIR/final\` and \`polyret encode\`.
`;

const command: Command = {
  name: 'train',
  summary: 'fine-tune a dual encoder with hybrid / mono / cross-lingual batches (checkpoints, resume, early stopping)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      config: { type: 'string' },
      output: { type: 'string' },
      resume: { type: 'boolean', default: false },
      'max-steps': { type: 'string' },
      precision: { type: 'string' },
      set: { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
    }, usage);
    if (!values.config) throw new UsageError(`--config is required\n\n${usage}`);
    const overrides = [...(values.set ?? [])];
    if (values['max-steps'] !== undefined) {
      const n = intFlag('max-steps', values['max-steps']);
      overrides.push(`training.maxSteps=${n}`);
    }
    if (values.precision !== undefined) overrides.push(`training.precision=${precisionFlag(values.precision)}`);
    let loaded;
    try {
      loaded = loadTrainConfig(values.config, overrides);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const name = values.config.replace(/^.*\//, '').replace(/\.(ya?ml|json)$/, '');
    const output = values.output ?? `runs/${name}`;
    // Loaded here so that a bad config is reported without loading libtorch.
    const { train } = await import('../../train/trainer.js');
    const s = await train({ config: loaded.config, baseDir: loaded.baseDir, output, resume: values.resume, progress: values.quiet ? false : undefined });
    const lines = [
      `finished: ${s.stopReason} after ${s.steps} steps (${s.triplets} triplets, ${(s.seconds / 60).toFixed(1)} min, ${(s.triplets / Math.max(1e-9, s.seconds)).toFixed(1)} triplets/s)`,
      `train loss: ${s.firstTrainLoss?.toFixed(4) ?? '-'} → ${s.lastTrainLoss?.toFixed(4) ?? '-'}${s.skippedSteps ? ` (${s.skippedSteps} steps skipped: non-finite loss)` : ''}`,
      `validation loss: ${s.initialValidationLoss !== null ? `untrained ${s.initialValidationLoss.toFixed(4)}, ` : ''}best ${s.bestValidationLoss?.toFixed(4) ?? '-'} at step ${s.bestStep ?? '-'}, last ${s.lastValidationLoss?.toFixed(4) ?? '-'}`,
      ...s.retrieval.map((r) => `${r.task} ${r.label} (step ${r.step}): Mo. ${r.mono.toFixed(3)}  Cr. ${r.cross.toFixed(3)}  Mul. ${r.multi.toFixed(3)}  rank dist. ${r.rankDistance.toFixed(1)}`),
      `final model: ${s.finalDir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return s.stopReason === 'non-finite-loss' ? 3 : 0;
  },
};

export default command;
