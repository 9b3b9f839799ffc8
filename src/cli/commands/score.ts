import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { readQrels } from '../../eval/trec/qrels.js';
import { readRun } from '../../eval/trec/run.js';
import { scoreRun } from '../../eval/metrics/scoreRun.js';
import { parseMetric, type TiesMode } from '../../eval/metrics/metricSpec.js';
import { parseFlags } from '../flags.js';

const usage = `Usage: polyret score --qrels FILE --run FILE -m METRIC [-m METRIC ...] [options]

Scores a TREC run against TREC qrels with trec_eval's semantics (see docs/evaluation.md).

  --qrels FILE        qrels: 'qid iter docid grade' per line
  --run FILE          run: 'qid Q0 docid rank score tag' per line (rank is ignored; ordered by score)
  -m, --metric NAME   AP, AP@k, nDCG@k, R@k, P@k, RR, RR@k, Rprec (repeatable; default AP nDCG@10 R@100)
  --ties MODE         trec (default): ties broken by docid descending, as trec_eval;
                      threshold: AP/AP@k count tied scores as one step, as scikit-learn's average_precision_score
  --complete          average over every query in the qrels, missing queries scoring 0 (trec_eval -c)
  -l, --level N       lowest grade that counts as relevant (trec_eval -l, default 1)
  --per-query         also print each query's values
  --json              print {"metrics": {...}, "perQuery": {...}} (perQuery only with --per-query)
`;

const command: Command = {
  name: 'score',
  summary: 'score a TREC run against qrels (trec_eval / scikit-learn semantics)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      qrels: { type: 'string' },
      run: { type: 'string' },
      metric: { type: 'string', short: 'm', multiple: true },
      ties: { type: 'string', default: 'trec' },
      complete: { type: 'boolean', default: false },
      level: { type: 'string', short: 'l', default: '1' },
      'per-query': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    }, usage);
    if (!values.qrels || !values.run) throw new UsageError(`--qrels and --run are required\n\n${usage}`);
    if (values.ties !== 'trec' && values.ties !== 'threshold') throw new UsageError(`--ties must be 'trec' or 'threshold', got '${values.ties}'`);
    const level = Number(values.level);
    if (!Number.isInteger(level)) throw new UsageError(`--level must be an integer, got '${values.level}'`);
    const names = values.metric && values.metric.length ? values.metric : ['AP', 'nDCG@10', 'R@100'];
    let specs;
    try {
      specs = names.map(parseMetric);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const result = scoreRun(readQrels(values.qrels), readRun(values.run), specs, {
      ties: values.ties as TiesMode,
      complete: values.complete,
      relevanceLevel: level,
    });
    if (values.json) {
      const out: Record<string, unknown> = { metrics: result.metrics };
      if (values['per-query']) out.perQuery = result.perQuery;
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return 0;
    }
    const width = Math.max(8, ...specs.map((s) => s.name.length));
    const lines: string[] = [];
    if (values['per-query']) {
      for (const [qid, v] of Object.entries(result.perQuery)) {
        for (const s of specs) lines.push(`${s.name.padEnd(width)}\t${qid}\t${v[s.name]!.toFixed(4)}`);
      }
    }
    lines.push(`${'queries'.padEnd(width)}\tall\t${result.numQueries}`);
    for (const s of specs) lines.push(`${s.name.padEnd(width)}\tall\t${result.metrics[s.name]!.toFixed(4)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

export default command;
