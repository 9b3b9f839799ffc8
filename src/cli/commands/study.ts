import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseFlags } from '../flags.js';
import { ConfigError } from '../../train/config.js';

const usage = `Usage: polyret study --config STUDY.yaml --output DIR [--resume] [--quiet]
       polyret study --report-only --output DIR [--no-png]
       polyret study --export COPY --output DIR

Runs a grid of training runs, evaluates every final model, and writes DIR/summary.json and DIR/report.md with
mean ± sd over seeds, paired significance tests between grid points (per query within a seed, and across seeds;
Holm-corrected) and pictures (SVG and PNG). See docs/studies.md.

  --config FILE    study config (YAML): base (a training config), grid (config path → values; the runs are
                   the product), set (fixed overrides), seedKey (default training.seed), evaluate (tasks
                   run on every final model: - { task: mlqa-r }, - { task: tatoeba, lang: [...] }, ...),
                   report ({ samples, seed } of the per-query tests)
  --output DIR     study folder: DIR/runs/<run>/ (each a polyret train output, with eval/<task>.json),
                   DIR/summary.json, DIR/report.md and its pictures
  --resume         continue a killed or extended study: finished runs and results are kept as they are,
                   the interrupted run continues from its last checkpoint, missing evaluations are run
  --eval-only      with --resume: run the missing evaluations of runs whose training finished; train nothing
  --report-only    regenerate report.md (and its tables and pictures) from DIR/summary.json and the results
                   files it names; trains and evaluates nothing
  --export COPY    write a compact copy of the study for committing (summary.json, study.yaml, the results
                   files gzipped without the per-query arrays the report does not use; no model files)
                   and its report; \`--report-only --output COPY\` regenerates that report from the copy
  --samples N      resamples of the per-query randomization tests (default: the config's, else 10000)
  --no-png         SVG pictures only
  --jobs N         runs in flight at once (default 1): with 2, the next run trains (a child process) while
                   this one is evaluated, each on half the cores (unless POLYRET_THREADS pins them);
                   evaluations stay one at a time, trainers run without their own progress bars
  --device D       where evaluations encode and score: cpu (default) or cuda (training follows the base
                   config's training.device)
  --quiet          no progress bars

Exit codes: 0 every run done; 1 a run failed (the others still ran; --resume retries it) or bad input; 2 bad
config or flags.
`;

const command: Command = {
  name: 'study',
  summary: 'run a grid of training runs with evaluations, statistics and a report (resumable after SIGKILL)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      config: { type: 'string' },
      output: { type: 'string' },
      resume: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      'eval-only': { type: 'boolean', default: false },
      export: { type: 'string' },
      samples: { type: 'string' },
      'no-png': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      device: { type: 'string', default: 'cpu' },
      jobs: { type: 'string', default: '1' },
    }, usage);
    const jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError(`--jobs must be an integer from 1 to 64, got '${values.jobs}'`);
    if (values.device !== 'cpu' && values.device !== 'cuda') throw new UsageError(`--device must be cpu or cuda, got '${values.device}'`);
    if (!values.output) throw new UsageError(`--output is required\n\n${usage}`);
    let samples: number | undefined;
    if (values.samples !== undefined) {
      samples = Number(values.samples);
      if (!Number.isInteger(samples) || samples < 100) throw new UsageError(`--samples must be an integer ≥ 100, got '${values.samples}'`);
    }
    const { buildStudyReport } = await import('../../study/report.js');
    const { savedStudyConfig } = await import('../../study/runner.js');
    const reportOpts = (cfg: { report?: { samples?: number; seed?: number } } | undefined) => ({
      samples: samples ?? cfg?.report?.samples,
      seed: cfg?.report?.seed,
      png: !values['no-png'],
    });
    if (values.export) {
      if (values.config || values.resume || values['report-only']) throw new UsageError('--export takes only --output (and --samples, --no-png)');
      const { exportStudy } = await import('../../study/exportResults.js');
      const n = exportStudy(values.output, values.export).length;
      const saved = savedStudyConfig(values.output) as { report?: { samples?: number; seed?: number } } | undefined;
      const files = await buildStudyReport(values.export, reportOpts(saved));
      process.stdout.write(`exported ${n} files to ${values.export}; report: ${files.find((f) => f.endsWith('report.md'))}\n`);
      return 0;
    }
    if (values['report-only']) {
      if (values.config || values.resume) throw new UsageError('--report-only takes only --output (and --samples, --no-png)');
      const saved = savedStudyConfig(values.output) as { report?: { samples?: number; seed?: number } } | undefined;
      const files = await buildStudyReport(values.output, reportOpts(saved));
      process.stdout.write(`report: ${files.find((f) => f.endsWith('report.md'))} (${files.length} files)\n`);
      return 0;
    }
    if (!values.config) throw new UsageError(`--config is required\n\n${usage}`);
    if (values['eval-only'] && !values.resume) throw new UsageError('--eval-only needs --resume (it completes an existing study)');
    const { loadStudyConfig } = await import('../../study/config.js');
    let study;
    try {
      study = loadStudyConfig(values.config);
      const { expandGrid } = await import('../../study/grid.js');
      const { checkRunConfig } = await import('../../study/config.js');
      for (const r of expandGrid(study.config)) checkRunConfig(study.basePath, r.sets, r.name);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const { runStudy } = await import('../../study/runner.js');
    const out = await runStudy({ study, output: values.output, resume: values.resume, evalOnly: values['eval-only'], progress: values.quiet ? false : undefined, device: values.device, jobs, command: `polyret study --config ${values.config} --output ${values.output}${values.device !== 'cpu' ? ` --device ${values.device}` : ''}${jobs > 1 ? ` --jobs ${jobs}` : ''}` });
    const files = await buildStudyReport(values.output, reportOpts(study.config));
    const done = out.summary.runs.filter((r) => r.status === 'done').length;
    process.stdout.write(`study: ${done}/${out.summary.runs.length} runs done${out.failed ? `, ${out.failed} failed (--resume retries them)` : ''}\nsummary: ${values.output}/summary.json\nreport: ${files.find((f) => f.endsWith('report.md'))}\n`);
    return out.failed ? 1 : 0;
  },
};

export default command;
