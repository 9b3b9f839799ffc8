import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { DATA_FORMATS, openDataset, type DataFormat } from '../../data/openDataset.js';
import { languageCounts } from '../../data/parallelDataset.js';
import { HybridBatchSampler, type TextBatch } from '../../sampling/hybridBatchSampler.js';
import { WEIGHTINGS, type Weighting } from '../../sampling/languageWeights.js';
import type { SamplingMode } from '../../sampling/idBatchSampler.js';
import { applyPrefixes, E5_PREFIXES } from '../../sampling/prefixes.js';
import { parseFlags } from '../flags.js';
import { checkOutputFile, writeOutputFiles } from '../../util/outputWriter.js';

const usage = `Usage: polyret batches --data PATH [--data PATH ...] [options]

Prints the composition of the batches the hybrid batch sampler builds — what a model trained
with these options sees. See docs/data-and-sampling.md.

  --data PATH            data file or folder (repeatable): an mMARCO-layout folder, JSONL files,
                         or SQuAD/LAReQA JSON files (XQuAD, XQuAD-R, MLQA-R; one language per file)
  --format F             mmarco | jsonl | squad (default: guessed from the paths)
  --mode M               mono (X-X) | cross (X-Y) | hybrid (default hybrid)
  --alpha A              probability of a mono batch in hybrid mode (default 0.5)
  --weighting W          uniform | size | temperature: how mono languages are drawn (default uniform)
  --temperature T        for --weighting temperature: p ∝ n^(1/T) (default 1)
  --batch-size B         triplets per batch (default 100)
  --seed S               RNG seed (default 1)
  --limit N              print at most N batches (default 20; 0 = until the epochs end)
  --epochs E             stop after E epochs (default 1)
  --drop-last            end an epoch when no full batch can be formed (default: smaller tail batches)
  --negatives K          hard negatives per example (mMARCO, SQuAD; default 1)
  --lang L               SQuAD: the language of every file (default: from the file name, e.g. xquad.de.json)
  --index-dir DIR        mMARCO: where to keep the offset index (default DATA/.polyret-index)
  --texts                also print queries and passages (truncated in the table)
  --e5-prefixes          add "query: " / "passage: " as E5 models expect (with --texts)
  --json                 one line per batch: {"mode", "items": [{"id", "queryLang", "passageLang"}, ...]}
                         (items also carry "query", "positive", "negatives" with --texts)
  --plot FILE.svg        also draw the triplets of the shown batches as a query-language × passage-language
                         heatmap (mono batches on the diagonal), as SVG and PNG (FILE.png)
`;

function num(name: string, v: string, check: (x: number) => boolean, what: string): number {
  const x = Number(v);
  if (v.trim() === '' || !check(x)) throw new UsageError(`--${name} must be ${what}, got '${v}'`);
  return x;
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length <= n ? one : `${one.slice(0, n - 1)}…`;
}

/** "de×32" for a mono batch, "en→de×5 de→zh×3 ..." for a cross batch (most frequent first). */
export function describeBatch(b: TextBatch): string {
  const counts = new Map<string, number>();
  for (const it of b.items) {
    const k = b.mode === 'mono' ? it.queryLang : `${it.queryLang}→${it.passageLang}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .map(([k, c]) => `${k}×${c}`)
    .join(' ');
}

const command: Command = {
  name: 'batches',
  summary: 'show the composition of hybrid / mono / cross-lingual training batches',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      data: { type: 'string', multiple: true },
      format: { type: 'string' },
      mode: { type: 'string', default: 'hybrid' },
      alpha: { type: 'string', default: '0.5' },
      weighting: { type: 'string', default: 'uniform' },
      temperature: { type: 'string', default: '1' },
      'batch-size': { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      limit: { type: 'string', default: '20' },
      epochs: { type: 'string', default: '1' },
      'drop-last': { type: 'boolean', default: false },
      negatives: { type: 'string', default: '1' },
      lang: { type: 'string' },
      'index-dir': { type: 'string' },
      texts: { type: 'boolean', default: false },
      'e5-prefixes': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      plot: { type: 'string' },
    }, usage);
    if (!values.data || values.data.length === 0) throw new UsageError(`--data is required\n\n${usage}`);
    if (values.format !== undefined && !DATA_FORMATS.includes(values.format as DataFormat)) {
      throw new UsageError(`--format must be one of ${DATA_FORMATS.join(', ')}, got '${values.format}'`);
    }
    if (!['mono', 'cross', 'hybrid'].includes(values.mode)) throw new UsageError(`--mode must be mono, cross or hybrid, got '${values.mode}'`);
    if (!WEIGHTINGS.includes(values.weighting as Weighting)) throw new UsageError(`--weighting must be one of ${WEIGHTINGS.join(', ')}, got '${values.weighting}'`);
    const alpha = num('alpha', values.alpha, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
    const temperature = num('temperature', values.temperature, (x) => x > 0 && Number.isFinite(x), 'a positive number');
    const batchSize = num('batch-size', values['batch-size'], (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
    const seed = num('seed', values.seed, (x) => Number.isSafeInteger(x) && x >= 0, 'a non-negative integer');
    const limit = num('limit', values.limit, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
    const epochs = num('epochs', values.epochs, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
    const negatives = num('negatives', values.negatives, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');

    const plotPng = values.plot === undefined ? undefined : values.plot.replace(/\.svg$/i, '') + '.png';
    if (values.plot !== undefined) {
      if (!/\.svg$/i.test(values.plot)) throw new UsageError(`--plot must name an .svg file (the PNG is written beside it), got '${values.plot}'`);
      // Checked before the batches are drawn, so a folder or an unwritable place fails at once.
      checkOutputFile(values.plot);
      checkOutputFile(plotPng!);
    }
    const ds = openDataset(values.data, {
      format: values.format as DataFormat | undefined,
      negatives,
      lang: values.lang,
      mmarco: { indexDir: values['index-dir'] },
    });
    try {
      const sampler = HybridBatchSampler.create(ds, {
        batchSize,
        mode: values.mode as SamplingMode,
        alpha,
        weighting: values.weighting as Weighting,
        temperature,
        seed,
        epochs,
        dropLast: values['drop-last'],
      });
      const out = process.stdout;
      if (!values.json) {
        const counts = languageCounts(ds);
        const probs = sampler.ids.languageProbabilities();
        out.write(`${ds.name}: ${ds.size} ids in ${ds.languages.length} languages\n`);
        out.write(`  ${ds.languages.map((l, i) => `${l} ${counts[i]} ids (p=${probs[i]!.toFixed(3)})`).join(', ')}\n`);
        out.write(`mode ${values.mode}${values.mode === 'hybrid' ? ` alpha ${alpha}` : ''}, weighting ${values.weighting}${values.weighting === 'temperature' ? ` T=${temperature}` : ''}, batch size ${batchSize}, seed ${seed}\n\n`);
      }
      let shown = 0;
      let mono = 0;
      let items = 0;
      const langIndex = new Map(ds.languages.map((l, i) => [l, i]));
      const pairs = ds.languages.map(() => ds.languages.map(() => 0));
      for (let b = sampler.next(); b; b = sampler.next()) {
        const batch = values['e5-prefixes'] ? applyPrefixes(b, E5_PREFIXES) : b;
        if (values.json) {
          const its = batch.items.map((it) =>
            values.texts
              ? { id: it.id, queryLang: it.queryLang, passageLang: it.passageLang, query: it.query, positive: it.positive, negatives: it.negatives }
              : { id: it.id, queryLang: it.queryLang, passageLang: it.passageLang },
          );
          out.write(`${JSON.stringify({ mode: batch.mode, items: its })}\n`);
        } else {
          out.write(`batch ${shown} (epoch ${batch.epoch}) ${batch.mode.padEnd(5)} ${batch.items.length} items: ${describeBatch(batch)}`);
          if (batch.deferred.length > 0) out.write(` [deferred: ${batch.deferred.join(', ')}]`);
          out.write('\n');
          if (values.texts) {
            for (const it of batch.items) {
              out.write(`    ${it.id} ${it.queryLang}→${it.passageLang}  Q: ${clip(it.query, 60)}  P: ${clip(it.positive, 70)}${it.negatives.length ? `  N: ${clip(it.negatives[0]!, 40)}${it.negatives.length > 1 ? ` (+${it.negatives.length - 1})` : ''}` : ''}\n`);
            }
          }
        }
        for (const it of batch.items) pairs[langIndex.get(it.queryLang)!]![langIndex.get(it.passageLang)!]! += 1;
        shown++;
        items += batch.items.length;
        if (batch.mode === 'mono') mono++;
        if (limit > 0 && shown >= limit) break;
      }
      if (!values.json) out.write(`\n${shown} batches, ${items} triplets, ${mono} mono (${shown ? ((100 * mono) / shown).toFixed(1) : '0'}%)\n`);
      if (values.plot) {
        const { heatmapSvg, svgToPng } = await import('../../eval/report/heatmap.js');
        const svg = heatmapSvg(ds.languages, ds.languages, pairs, {
          title: `triplets by language pair: ${shown} ${values.mode} batches of ${batchSize}`,
          rowLabel: 'query language',
          colLabel: 'passage language',
          min: 0,
          format: (v) => String(v),
        });
        const png = plotPng!;
        // Both pictures or neither.
        writeOutputFiles([{ path: values.plot, data: svg }, { path: png, data: await svgToPng(svg) }]);
        process.stderr.write(`plot: ${values.plot}, ${png}\n`);
      }
    } finally {
      ds.close();
    }
    return 0;
  },
};

export default command;
