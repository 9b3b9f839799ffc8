import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { intFlag, parseFlags } from '../flags.js';

const usage = `Usage: polyret eval --task xquad-r|mlqa-r|miracl|tatoeba (--embeddings FILE | --model DIR) [options]

Runs an evaluation protocol and writes a results JSON (every setting, every metric, per-query values, config,
model and data sha256 fingerprints); prints the paper's tables. See docs/evaluation.md.

  --task NAME             xquad-r, mlqa-r (LAReQA: mono X→X, cross X→Y, multilingual X→all, full-pool mAP),
                          miracl (dev: nDCG@10 and R@100 with trec_eval semantics), or
                          tatoeba (XTREME's sentence retrieval on LASER's files: accuracy@1 by cosine, xx→en and en→xx)
  --embeddings FILE       precomputed vectors: safetensors, float32 tensor 'embeddings' [N, D], row ids as a JSON
                          array in __metadata__.ids (LAReQA: q/<lang>/<qid>, c/<lang>/<a>/<p>/<s>; MIRACL: q/<qid>,
                          d/<docid>; Tatoeba: tatoeba/<laser>/xx/<line>, tatoeba/<laser>/en/<line>, 0-based lines)
  --model DIR             encode with a model folder (sentence-transformers / Hugging Face layout); when the folder
                          records its training languages (polyret_training.json), results add seen / unseen averages
  --lang L1,L2            languages (default: all of the task's; tatoeba: XTREME's 36, and any of LASER's 112 as
                          LASER codes or ISO 639-1, e.g. deu or de, cmn or zh)
  --out FILE              results JSON (default: results-<task>.json)
  --name NAME             display name in reports (default: model or embeddings file name)
  --similarity ip|cosine  inner product (default) or cosine (tatoeba's default, XTREME's definition)
  --candidate-text MODE   LAReQA candidates: sentence (default) or sentence+context (ReQA/LAReQA option)
  --relevance RULE        LAReQA relevant sentences: start (default; XTREME's utils_lareqa.py: the sentence containing
                          answer_start) or overlap (every sentence the answer span overlaps)
  --map-at K              also report mAP@K (repeatable)
  --corpus FILE           MIRACL passages, JSONL {docid,title,text} (.gz ok); needed with --model
  --run-dir DIR           MIRACL: write TREC run files (top 100) here, checkable with trec_eval
  --device cpu|cuda       where scores are computed (default cpu)
  --batch-size N          texts per encoder call with --model (default 64)
  --export-texts FILE     write the texts to embed as JSONL {id, text, kind} and stop (to produce --embeddings elsewhere)
`;

const command: Command = {
  name: 'eval',
  summary: 'evaluate retrieval: XQuAD-R / MLQA-R (LAReQA protocol) or MIRACL; writes results JSON',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      task: { type: 'string' },
      embeddings: { type: 'string' },
      model: { type: 'string' },
      lang: { type: 'string', multiple: true },
      out: { type: 'string' },
      name: { type: 'string' },
      similarity: { type: 'string' },
      relevance: { type: 'string', default: 'start' },
      'candidate-text': { type: 'string', default: 'sentence' },
      'map-at': { type: 'string', multiple: true },
      corpus: { type: 'string' },
      'run-dir': { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      'batch-size': { type: 'string', default: '64' },
      'export-texts': { type: 'string' },
    }, usage);
    const { isEvalTask, EVAL_TASKS } = await import('../../eval/results.js');
    const task = values.task;
    if (task === undefined || !isEvalTask(task)) throw new UsageError(`--task must be one of ${EVAL_TASKS.join(', ')}\n\n${usage}`);
    const languages = (values.lang ?? []).flatMap((l) => l.split(',')).map((l) => l.trim()).filter(Boolean);
    const similarity = values.similarity;
    if (similarity !== undefined && similarity !== 'ip' && similarity !== 'cosine') throw new UsageError(`--similarity must be ip or cosine, got '${similarity}'`);
    const relevance = values.relevance;
    if (relevance !== 'start' && relevance !== 'overlap') throw new UsageError(`--relevance must be start or overlap, got '${relevance}'`);
    const ct = values['candidate-text'];
    if (ct !== 'sentence' && ct !== 'sentence+context') throw new UsageError(`--candidate-text must be sentence or sentence+context, got '${ct}'`);
    const mapAt = (values['map-at'] ?? []).map((k) => intFlag('map-at', k));
    const batchSize = intFlag('batch-size', values['batch-size']);
    const device = values.device;
    if (device !== 'cpu' && !/^cuda(:\d+)?$/.test(device)) throw new UsageError(`--device must be cpu or cuda[:N], got '${device}'`);

    if (values['export-texts']) {
      const { exportTexts } = await import('../../eval/exportTexts.js');
      const n = await exportTexts(task, languages, values['export-texts'], ct, values.corpus);
      process.stderr.write(`wrote ${n} texts to ${values['export-texts']}\n`);
      return 0;
    }
    if (!values.embeddings === !values.model) throw new UsageError(`give exactly one of --embeddings FILE or --model DIR\n\n${usage}`);

    const { runEval } = await import('../../eval/runEval.js');
    const { EmbeddingsFile } = await import('../../eval/embeddings.js');
    const { summaryTable, rankDistanceTable, matrixTable, seenUnseenTable, relevanceTable, toText } = await import('../../eval/report/tables.js');
    let source;
    let file;
    if (values.embeddings) {
      file = new EmbeddingsFile(values.embeddings);
      source = { kind: 'embeddings' as const, file };
    } else {
      const { loadModelEncoder } = await import('../../eval/encoder.js');
      const encoder = await loadModelEncoder(values.model!, device, { batchSize });
      source = { kind: 'model' as const, dir: values.model!, encoder, batchSize };
    }
    try {
      const results = await runEval({
        task,
        languages,
        source,
        name: values.name,
        similarity,
        candidateText: ct,
        relevance,
        mapAt,
        device: device as 'cpu' | 'cuda',
        corpus: values.corpus,
        runDir: values['run-dir'],
      });
      const out = values.out ?? `results-${task}.json`;
      writeFileAtomic(out, `${JSON.stringify(results)}\n`);
      const parts = [`${results.name} on ${task}`, toText(summaryTable(results))];
      const su = seenUnseenTable(results);
      if (su) parts.push(`seen / unseen (training languages ${results.seenUnseen!.trainingLanguages.join(', ')})`, toText(su));
      const rel = relevanceTable(results);
      if (rel) parts.push(`relevance: ${results.lareqa!.relevance!.rule}; questions where the start and overlap rules differ`, toText(rel));
      const rd = rankDistanceTable(results);
      if (rd) parts.push(toText(rd));
      const mt = matrixTable(results);
      if (mt) parts.push('mAP, query language (rows) → pool language (columns)', toText(mt));
      parts.push(`results: ${out}`);
      process.stdout.write(`${parts.join('\n\n')}\n`);
    } finally {
      file?.close();
    }
    return 0;
  },
};

export default command;
