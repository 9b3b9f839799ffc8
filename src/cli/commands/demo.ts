import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { projectRoot, dataDir, hasData } from '../../util/dataDir.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { loadTrainConfig } from '../../train/config.js';
import type { LareqaResults } from '../../eval/tasks/lareqaProtocol.js';
import { parseFlags } from '../flags.js';
import { precisionFlag } from '../precision.js';
import { chooseDemoPrecision } from '../demoPrecision.js';

const usage = `Usage: polyret demo [--output DIR] [--epochs N] [--precision auto|fp32|bf16] [--set key=value ...]

Trains the small from-scratch encoder of configs/small-from-scratch.yaml with hybrid batches on
XQuAD's parallel questions (12 languages), evaluates it zero-shot on MLQA-R (a different dataset,
7 of the languages) before and after training, prints the paper-style table (Mo./Cr./Mul. mAP,
rank distance) and writes the X→Y mAP heatmaps (SVG and PNG). A few minutes on a 2-core CPU.
Data comes from ${'`'}../shared/data${'`'} or POLYRET_DATA. MLQA-R is CC BY-NC 4.0.

  --output DIR     run folder (default runs/demo; an earlier demo there is replaced, any other folder refused)
  --epochs N       training epochs (default: the config's)
  --precision P    auto (default): bf16 where the CPU has native bf16 (AMX-BF16 / AVX512-BF16), bf16 did as
                   well as fp32 on the demo, and a quick timing of the model's products finds bf16 at least 10 %
                   faster here; else fp32. The choice and its reason are printed. fp32 | bf16 force it
  --set key=value  any training config override (see polyret train --help)
  --quiet          no progress bars
`;

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(3));

function table(rows: Array<[string, LareqaResults]>): string {
  const header = ['model', 'Mo. mAP', 'Cr. mAP', 'Mul. mAP', 'rank dist.'];
  const body = rows.map(([name, r]) => [
    name, f3(r.summary.mono.metrics.mAP), f3(r.summary.cross.metrics.mAP), f3(r.summary.multi.metrics.mAP), r.rankDistance.macro.toFixed(1),
  ]);
  const w = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

const command: Command = {
  name: 'demo',
  summary: 'train a small encoder on XQuAD with hybrid batches and evaluate it zero-shot on MLQA-R (minutes on a CPU)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      output: { type: 'string', default: 'runs/demo' },
      epochs: { type: 'string' },
      precision: { type: 'string', default: 'auto' },
      set: { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
    }, usage);
    for (const d of ['xquad', 'mlqa-r', 'tokenizers/bert-base-multilingual-cased']) {
      if (!hasData(...d.split('/'))) throw new UsageError(`the demo needs ${d} in the data folder ${dataDir()} (set POLYRET_DATA)`);
    }
    const overrides = [...(values.set ?? [])];
    if (values.epochs !== undefined) overrides.push(`training.epochs=${values.epochs}`);
    const precisionSet = overrides.some((o) => o.startsWith('training.precision='));
    if (!['auto', 'fp32', 'bf16'].includes(values.precision)) throw new UsageError(`--precision must be auto, fp32 or bf16, got '${values.precision}'`);
    if (values.precision !== 'auto') {
      if (precisionSet) throw new UsageError('give the precision once: --precision or --set training.precision');
      overrides.push(`training.precision=${precisionFlag(values.precision)}`);
    }
    const { config, baseDir } = loadTrainConfig(join(projectRoot(), 'configs', 'small-from-scratch.yaml'), overrides);
    if (!config.retrievalEval) throw new UsageError('the demo needs retrievalEval in its config');
    const out = values.output!;
    const log = (m: string) => process.stderr.write(`${m}\n`);
    if (values.precision === 'auto' && !precisionSet) {
      const { cpuBf16Support, cudaAvailable, measureBf16Speed } = await import('../../tensor/index.js');
      const device = config.training.device === 'auto' ? (cudaAvailable() ? 'cuda' : 'cpu') : config.training.device;
      const fs = config.model.fromScratch;
      const choice = chooseDemoPrecision(cpuBf16Support(), device, () => measureBf16Speed(fs?.hiddenSize ?? 128, fs?.intermediateSize ?? 4 * (fs?.hiddenSize ?? 128)));
      config.training.precision = choice.precision;
      log(`precision: ${choice.reason}`);
    } else {
      log(`precision: ${config.training.precision} (as asked)`);
    }
    log(`polyret demo: training a ${config.model.fromScratch?.numLayers}-layer, ${config.model.fromScratch?.hiddenSize}-wide encoder from scratch on XQuAD (${config.sampling.mode} batches, alpha ${config.sampling.alpha}), evaluating zero-shot on ${config.retrievalEval.task.toUpperCase()}`);
    const { train } = await import('../../train/trainer.js');
    // A previous demo run (it ends by writing demo.txt) is replaced; any other existing folder is refused.
    const s = await train({ config, baseDir, output: out, overwrite: existsSync(join(out, 'demo.txt')), progress: values.quiet ? false : undefined, log });
    const before = s.retrieval.find((r) => r.label === 'before');
    const after = s.retrieval.find((r) => r.label === 'after');
    if (!before?.file || !after?.file || !existsSync(before.file) || !existsSync(after.file)) throw new Error('the retrieval evaluations did not complete');
    const rb = JSON.parse(readFileSync(before.file, 'utf8')) as LareqaResults;
    const ra = JSON.parse(readFileSync(after.file, 'utf8')) as LareqaResults;
    const { heatmapSvg, svgToPng } = await import('../../eval/report/heatmap.js');
    const pictures: string[] = [];
    for (const [label, r] of [['before', rb], ['after', ra]] as const) {
      const svg = heatmapSvg(r.matrix.languages, r.matrix.languages, r.matrix.mAP, {
        title: `${r.task.toUpperCase()} mAP X→Y, ${label} training (step ${label === 'before' ? 0 : s.bestStep ?? s.steps})`,
        rowLabel: 'query', colLabel: 'candidates', min: 0, max: Math.max(...ra.matrix.mAP.flat(), ...rb.matrix.mAP.flat()),
      });
      const base = join(out, `heatmap-${r.task}-${label}`);
      writeFileAtomic(`${base}.svg`, svg);
      writeFileAtomic(`${base}.png`, await svgToPng(svg));
      pictures.push(`${base}.svg`, `${base}.png`);
    }
    const text = [
      '',
      `Zero-shot ${ra.task.toUpperCase()} (${ra.languages.join(', ')}; full candidate pools), trained on XQuAD with ${config.sampling.mode} batches:`,
      '',
      table([['untrained', rb], [`trained (best val. step ${s.bestStep ?? s.steps})`, ra]]),
      '',
      `training: ${s.steps} steps (${config.training.precision}), ${s.triplets} triplets in ${(s.seconds / 60).toFixed(1)} min; validation loss ${s.initialValidationLoss?.toFixed(3)} (untrained) → ${s.bestValidationLoss?.toFixed(3)} (best, step ${s.bestStep})`,
      `model: ${s.finalDir}`,
      `heatmaps: ${pictures.filter((p) => p.endsWith('.png')).join(', ')}`,
      `training curves: ${join(out, 'curves.png')}`,
      `metrics: ${join(out, 'metrics.jsonl')}`,
      '',
    ].join('\n');
    process.stdout.write(text);
    writeFileAtomic(join(out, 'demo.txt'), text);
    return 0;
  },
};

export default command;
