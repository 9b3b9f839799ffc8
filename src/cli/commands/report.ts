import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { intFlag, parseFlags } from '../flags.js';

const usage = `Usage: polyret report RESULTS.json [RESULTS.json ...] --out DIR [options]

Turns results files of one task (from polyret eval) into report.md, summary.csv, and per result the X→Y mAP
matrix as CSV and heatmap (SVG and PNG). With several results, compares each with the first: Δ of every
macro-averaged metric and paired significance tests over queries (randomization and bootstrap, seeded).

  --out DIR        output folder, written as a whole (into a temporary folder beside it, renamed at the end);
                   an earlier report there is replaced, any other non-empty folder only with --overwrite
  --overwrite      replace a non-empty --out folder that is not a polyret report
  --samples N      resamples per test (default 10000)
  --seed N         seed of the tests (default 1)
  --no-png         write SVG heatmaps only
`;

const command: Command = {
  name: 'report',
  summary: 'Markdown/CSV tables, X→Y heatmaps (SVG/PNG) and paired significance tests from results files',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      out: { type: 'string' },
      samples: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      'no-png': { type: 'boolean', default: false },
      overwrite: { type: 'boolean', default: false },
    }, usage, true);
    if (positionals.length === 0 || !values.out) throw new UsageError(`give results files and --out DIR\n\n${usage}`);
    const samples = intFlag('samples', values.samples);
    const seed = intFlag('seed', values.seed, Number.MIN_SAFE_INTEGER);
    const { readResults } = await import('../../eval/results.js');
    const { buildReport, isReportFolder } = await import('../../eval/report/buildReport.js');
    const { checkOutputFolder } = await import('../../util/outputWriter.js');
    checkOutputFolder(values.out, { existing: isReportFolder, overwrite: values.overwrite, what: 'folder (not a polyret report)' });
    const written = await buildReport(positionals.map(readResults), { outDir: values.out, samples, seed, png: !values['no-png'], overwrite: values.overwrite });
    process.stdout.write(`${written.join('\n')}\n`);
    return 0;
  },
};

export default command;
