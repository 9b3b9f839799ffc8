import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { checkOutputFile, checkOutputFolder, writeOutputFile } from '../../util/outputWriter.js';
import { checkDevice } from '../device.js';
import { parseLanguage } from '../../data/languages.js';
import { intFlag, parseFlags } from '../flags.js';
import { dirname, resolve } from 'node:path';
import { precisionFlag, precisionHelp } from '../precision.js';

const usage = `Usage: polyret eval --task xquad-r|mlqa-r|miracl|tatoeba|beir (--embeddings FILE | --model DIR) [options]

Runs an evaluation protocol and writes a results JSON (every setting, every metric, per-query values, config,
model and data sha256 fingerprints); prints the paper's tables. See docs/evaluation.md.

  --task NAME             xquad-r, mlqa-r (LAReQA: mono X→X, cross X→Y, multilingual X→all, full-pool mAP),
                          miracl (dev: nDCG@10 and R@100 with trec_eval semantics), or
                          tatoeba (XTREME's sentence retrieval on LASER's files: accuracy@1 by cosine, xx→en and en→xx),
                          or beir (a BEIR-layout dataset or an adapter, see --dataset: exact top-k, trec_eval metrics)
  --embeddings FILE       precomputed vectors: safetensors, float32 tensor 'embeddings' [N, D], row ids as a JSON
                          array in __metadata__.ids (LAReQA: q/<lang>/<qid>, c/<lang>/<a>/<p>/<s>; MIRACL: q/<qid>,
                          d/<docid>; BEIR: q/<qid>, d/<docid>; Tatoeba: tatoeba/<laser>/xx/<line>, tatoeba/<laser>/en/<line>, 0-based lines)
  --model DIR             encode with a model folder (sentence-transformers / Hugging Face layout); when the folder
                          records its training languages (polyret_training.json), results add seen / unseen averages
  --runtime NAME          libtorch (default): the model folder on polyret's engine; onnx: a folder written by
                          'polyret export --format onnx', run through onnxruntime-node (the deployed artifact)
  --onnx-file FILE        with --runtime onnx: the graph inside the folder (default onnx/model.onnx;
                          onnx/model_quantized.onnx for the int8 export)
  --lang L1,L2            languages (default: all of the task's; tatoeba: XTREME's 36, and any of LASER's 112 as
                          LASER codes or ISO 639-1, e.g. deu or de, cmn or zh)
  --out FILE              results JSON (default: results-<task>.json)
  --name NAME             display name in reports (default: model or embeddings file name)
  --similarity ip|cosine  inner product or cosine. Default: with --model, the folder's declared similarity
                          (sentence-transformers' similarity_fn_name; polyret's trained models declare cosine, what
                          training optimised), else inner product; tatoeba: cosine (XTREME's definition)
  --candidate-text MODE   LAReQA candidates: sentence (default) or sentence+context (ReQA/LAReQA option)
  --relevance RULE        LAReQA relevant sentences: start (default; XTREME's utils_lareqa.py: the sentence containing
                          answer_start) or overlap (every sentence the answer span overlaps)
  --map-at K              also report mAP@K (repeatable)
  --corpus FILE           MIRACL / BEIR passages, JSONL (.gz ok): {docid,title,text}, BEIR {_id,title,text} or
                          {id,contents}; needed with --model unless the BEIR folder has its own corpus.jsonl[.gz]
  --run-dir DIR           MIRACL / BEIR: write TREC run files here, checkable with trec_eval or polyret score
                          (beir default: the folder of --out)
  --dataset D             beir: a BEIR folder (corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv), or an adapter:
                          mrtydi (Mr.TyDi v1.1 from <data>/mrtydi, one --lang; passages via --corpus), or
                          xor-tydi (XOR-Retrieve dev, one --lang of ar bn fi ja ko ru te; English passages via
                          --corpus: DPR's psgs_w100.tsv or JSONL, needed with --embeddings too)
  --split S               beir: qrels split (default test; Mr.TyDi: train, dev, test; XOR-TyDi: dev)
  -m, --metric NAME       beir: any polyret score measure (repeatable; default nDCG@10 R@100; a folder named msmarco
                          with --split dev: RR@10 nDCG@10 R@100; Mr.TyDi adds RR@100); XOR-TyDi also R@<n>kt
                          (answer in the first n thousand tokens; default R@2kt R@5kt)
  --k N                   beir: retrieval depth (default max(100, deepest metric cutoff))
  --keep-identical-ids    beir: keep a retrieved document whose id equals the query id (BEIR drops it by default)
  --device cpu|cuda       where scores are computed (default cpu)
  --batch-size N          texts per encoder call with --model (default 64)
${precisionHelp(26, '(with --model)')}
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
      runtime: { type: 'string', default: 'libtorch' },
      'onnx-file': { type: 'string' },
      dataset: { type: 'string' },
      split: { type: 'string' },
      metric: { type: 'string', short: 'm', multiple: true },
      k: { type: 'string' },
      'keep-identical-ids': { type: 'boolean', default: false },
      precision: { type: 'string' },
    }, usage);
    const runtime = values.runtime;
    if (runtime !== 'libtorch' && runtime !== 'onnx') throw new UsageError(`--runtime must be libtorch or onnx, got '${runtime}'`);
    if (values['onnx-file'] && runtime !== 'onnx') throw new UsageError('--onnx-file needs --runtime onnx');
    const { isEvalTask, EVAL_TASKS } = await import('../../eval/results.js');
    const task = values.task;
    if (task === undefined || !isEvalTask(task)) throw new UsageError(`--task must be one of ${EVAL_TASKS.join(', ')}\n\n${usage}`);
    // Canonical codes (deu → de), as the readers give them, so --lang deu selects the German files. Tatoeba keeps
    // its own resolution (LASER's 112 codes or ISO 639-1, src/eval/tasks/tatoebaLanguages.ts): LASER has codes
    // (arq, swg, ...) that no general alias table should rewrite.
    const rawLanguages = (values.lang ?? []).flatMap((l) => l.split(',')).map((l) => l.trim()).filter(Boolean);
    const languages = task === 'tatoeba' ? rawLanguages : rawLanguages.map((l) => {
      try {
        return parseLanguage(l, '--lang');
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    });
    const similarity = values.similarity;
    if (similarity !== undefined && similarity !== 'ip' && similarity !== 'cosine') throw new UsageError(`--similarity must be ip or cosine, got '${similarity}'`);
    const relevance = values.relevance;
    if (relevance !== 'start' && relevance !== 'overlap') throw new UsageError(`--relevance must be start or overlap, got '${relevance}'`);
    const ct = values['candidate-text'];
    if (ct !== 'sentence' && ct !== 'sentence+context') throw new UsageError(`--candidate-text must be sentence or sentence+context, got '${ct}'`);
    const mapAt = (values['map-at'] ?? []).map((k) => intFlag('map-at', k));
    const batchSize = intFlag('batch-size', values['batch-size']);
    const k = values.k === undefined ? undefined : intFlag('k', values.k);
    if (task === 'beir' && !values.dataset) throw new UsageError(`--task beir needs --dataset (a BEIR folder, mrtydi or xor-tydi)\n\n${usage}`);
    if (values.metric) {
      const { parseMetric } = await import('../../eval/metrics/metricSpec.js');
      for (const m of values.metric) {
        if (/^R@\d+kt$/.test(m)) continue;
        try {
          parseMetric(m);
        } catch (err) {
          throw new UsageError(`--metric: ${(err as Error).message}`);
        }
      }
    }
    const precision = precisionFlag(values.precision ?? 'fp32');
    if (values.precision !== undefined && !values.model) throw new UsageError('--precision applies to --model (encoding); --embeddings are already computed');
    const device = values.device;
    await checkDevice(device);

    if (values['export-texts']) {
      checkOutputFile(values['export-texts']);
      const { exportTexts } = await import('../../eval/exportTexts.js');
      const n = await exportTexts(task, languages, values['export-texts'], ct, values.corpus, {
        ...(values.dataset ? { dataset: values.dataset } : {}),
        ...(values.split ? { split: values.split } : {}),
      });
      process.stderr.write(`wrote ${n} texts to ${values['export-texts']}\n`);
      return 0;
    }
    if (!values.embeddings === !values.model) throw new UsageError(`give exactly one of --embeddings FILE or --model DIR\n\n${usage}`);
    if (runtime === 'onnx' && !values.model) throw new UsageError('--runtime onnx needs --model DIR (a folder written by polyret export)');

    // Every target is checked before the work: a folder given as --out fails now, not after the evaluation.
    const out = values.out ?? `results-${task}.json`;
    checkOutputFile(out);
    if (values['run-dir']) checkOutputFolder(values['run-dir'], { existing: () => true });
    const { runEval } = await import('../../eval/runEval.js');
    const { EmbeddingsFile } = await import('../../eval/embeddings.js');
    const { summaryTable, rankDistanceTable, matrixTable, seenUnseenTable, relevanceTable, toText } = await import('../../eval/report/tables.js');
    let source;
    let file;
    if (values.embeddings) {
      file = new EmbeddingsFile(values.embeddings);
      source = { kind: 'embeddings' as const, file };
    } else if (runtime === 'onnx') {
      const { loadOnnxEncoder } = await import('../../eval/onnxEncoder.js');
      const encoder = await loadOnnxEncoder(values.model!, { batchSize, file: values['onnx-file'] });
      source = { kind: 'model' as const, dir: values.model!, encoder, batchSize };
    } else {
      const { loadModelEncoder } = await import('../../eval/encoder.js');
      const { bf16Note } = await import('../../tensor/index.js');
      const note = bf16Note(precision, device);
      if (note) process.stderr.write(`${note}\n`);
      const encoder = await loadModelEncoder(values.model!, device, { batchSize, precision });
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
        runDir: values['run-dir'] ?? (task === 'beir' ? dirname(resolve(out)) : undefined),
        runtime: runtime === 'onnx' ? { name: 'onnx', file: values['onnx-file'] ?? 'onnx/model.onnx' } : undefined,
        ...(values.dataset ? { dataset: values.dataset } : {}),
        ...(values.split ? { split: values.split } : {}),
        ...(values.metric ? { metrics: values.metric } : {}),
        ...(k ? { k } : {}),
        ignoreIdenticalIds: !values['keep-identical-ids'],
      });
      writeOutputFile(out, `${JSON.stringify(results)}\n`);
      const parts = [`${results.name} on ${task}`, toText(summaryTable(results))];
      const su = seenUnseenTable(results);
      if (su) parts.push(`seen / unseen (training languages ${results.seenUnseen!.trainingLanguages.join(', ')})`, toText(su));
      const rel = relevanceTable(results);
      if (rel) parts.push(`relevance: ${results.lareqa!.relevance!.rule}; questions where the start and overlap rules differ`, toText(rel));
      const rd = rankDistanceTable(results);
      if (rd) parts.push(toText(rd));
      const mt = matrixTable(results);
      if (mt) parts.push('mAP, query language (rows) → pool language (columns)', toText(mt));
      if (results.beir?.runFile) parts.push(`run: ${results.beir.runFile}`);
      parts.push(`results: ${out}`);
      process.stdout.write(`${parts.join('\n\n')}\n`);
    } finally {
      file?.close();
    }
    return 0;
  },
};

export default command;
