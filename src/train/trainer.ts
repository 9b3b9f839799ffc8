/**
 * The training loop: hybrid (or mono/cross) batches of triplets → InfoNCE (with GradCache when
 * the batch does not fit) → clipping → AdamW with warmup and decay; validation loss every N steps
 * with early stopping and best-model selection; atomic, checksummed checkpoints with exact resume;
 * a progress bar, a JSONL metrics log, and the final (best) model as a sentence-transformers folder.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import {
  bf16Note, cat, cudaAvailable, fromArray, getRngState, loadTensors, manualSeed, noGrad, saveTensors, setNumThreads, setRngState, tensor, tidy, type Tensor,
} from '../tensor/index.js';
import {
  allReduce, assertSameOnAllRanks, averageGradients, barrier, broadcast, rank as distRank, worldSize as distWorldSize,
} from '../dist/index.js';
import { AdamW, LrScheduler, clipGradNorm, decayGroups, type OptimizerState } from '../nn/optim/index.js';
import { saveSentenceEncoder, type SentenceEncoder } from '../models/index.js';
import { HybridBatchSampler, type TextBatch } from '../sampling/hybridBatchSampler.js';
import { applyPrefixes } from '../sampling/prefixes.js';
import { mixSeed } from '../sampling/rng.js';
import type { SamplerOptions } from '../sampling/idBatchSampler.js';
import { Progress } from '../util/progress.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { checkOutputFolder, onInterruptNote } from '../util/outputWriter.js';
import { parseJsonFile, parseWithSchema } from '../util/schema.js';
import { trainerStateSchema } from './trainerStateSchema.js';
import type { TrainConfig } from './config.js';
import { contrastiveStep } from './gradCache.js';
import { infoNCELoss, tripletLayout, type TripletLayout } from './losses/infoNCE.js';
import { gatherBatch, shardBatch, type ShardedBatch } from './shardedBatch.js';
import { Temperature } from './losses/temperature.js';
import { latestValidCheckpoint, pruneCheckpoints, stepDirName, verifyCheckpointDir, writeCheckpointDir } from './checkpoint.js';
import { MetricsLog } from './metricsLog.js';
import { trainingCurvesSvg } from './curves.js';
import { svgToPng } from '../eval/report/heatmap.js';
import { buildEncoder, SentenceTextEncoder } from './modelSource.js';
import { openTrainingData, type TrainingData } from './trainData.js';
import { writeTrainingLanguages } from '../models/trainingLanguages.js';
import { TokenizerWorker } from './tokenizePrefetch.js';
import { evaluateRetrieval, loadRetrievalSet, retrievalSummary, type RetrievalSummary } from './retrievalEval.js';

export interface TrainOptions {
  config: TrainConfig;
  /** Folder relative config paths are resolved against. */
  baseDir: string;
  output: string;
  /** Continue from the newest valid checkpoint in OUTPUT/checkpoints. */
  resume?: boolean;
  /** Without `resume`: replace an existing non-empty output folder (refused otherwise, so no run is lost). */
  overwrite?: boolean;
  /** Show the progress bar (default: unless POLYRET_NO_PROGRESS is set). */
  progress?: boolean;
  /** Messages for the user (warnings, evaluation results); default stderr. Only rank 0 logs. */
  log?: (msg: string) => void;
  /**
   * libtorch threads when the config sets none (`training.threads`): a launcher running several
   * workers on one machine gives each its share of the cores. Default: libtorch's (all cores).
   */
  defaultThreads?: number;
  /** This worker's rank on its machine (its GPU, cuda:LOCAL_RANK, when training on CUDA). */
  localRank?: number;
}

export type StopReason = 'completed' | 'max-steps' | 'early-stopping' | 'non-finite-loss';

export interface TrainSummary {
  steps: number;
  stopReason: StopReason;
  /** Step and loss of the selected (best validation loss) model. */
  bestStep: number | null;
  bestValidationLoss: number | null;
  lastValidationLoss: number | null;
  /** Validation loss of the model before training (step 0). */
  initialValidationLoss: number | null;
  firstTrainLoss: number | null;
  lastTrainLoss: number | null;
  skippedSteps: number;
  triplets: number;
  tokens: number;
  seconds: number;
  finalDir: string;
  resumedFrom: number | null;
  retrieval: RetrievalSummary[];
}

/** Everything besides tensors that a checkpoint restores. */
interface TrainerState {
  format: 'polyret-trainer-state';
  version: 1;
  step: number;
  finished: boolean;
  stopReason: StopReason | null;
  scheduler: { step: number };
  sampler: unknown;
  optimizer: OptimizerState['meta'];
  rng: string;
  best: { loss: number; step: number } | null;
  badEvals: number;
  badSteps: number;
  skippedSteps: number;
  lastEvalStep: number;
  lastValidationLoss: number | null;
  initialValidationLoss: number | null;
  firstTrainLoss: number | null;
  lastTrainLoss: number | null;
  triplets: number;
  tokens: number;
  seconds: number;
  /** Processes of the run that wrote the state (absent before distributed training: 1). */
  worldSize?: number;
  config: TrainConfig;
}

const TEMPERATURE_PARAM = 'loss.logit_scale';

function samplerOptions(c: TrainConfig, seed: number, epochs: number | undefined): SamplerOptions {
  return {
    batchSize: c.training.batchSize,
    mode: c.sampling.mode,
    alpha: c.sampling.alpha,
    weighting: c.sampling.weighting,
    temperature: c.sampling.temperature,
    dropLast: c.sampling.dropLast,
    seed,
    epochs,
  };
}

/** Queries, passages (positives, then each triplet's negatives) and the loss layout of a batch. */
function batchTexts(b: TextBatch): { queries: string[]; passages: string[]; layout: TripletLayout; shard: ShardedBatch | null } {
  const queries = b.items.map((it) => it.query);
  const passages = [...b.items.map((it) => it.positive), ...b.items.flatMap((it) => it.negatives)];
  const layout = tripletLayout(b.items.map((it) => it.id), b.items.map((it) => it.negatives.length));
  return { queries, passages, layout, shard: null };
}

/** This rank's texts of a global batch, with the global layout (the batch itself when there is one rank). */
function rankTexts(b: TextBatch, world: number, rank: number): ReturnType<typeof batchTexts> {
  if (world === 1) return batchTexts(b);
  const shard = shardBatch(b, world, rank);
  return { queries: shard.queries, passages: shard.passages, layout: shard.layout, shard };
}

function describeBatch(b: TextBatch): string {
  if (b.mode === 'mono') return `mono ${b.items[0]?.queryLang ?? ''}`;
  const pairs = new Set(b.items.map((it) => `${it.queryLang}-${it.passageLang}`));
  const langs = new Set(b.items.flatMap((it) => [it.queryLang, it.passageLang]));
  return `cross ${langs.size} langs/${pairs.size} pairs`;
}

/**
 * The parameters `training.freeze` names: an entry matches a parameter whose dotted name equals it or contains
 * it as a run of whole segments (`embeddings.word_embeddings` matches `0.embeddings.word_embeddings.weight`).
 */
export function frozenParameters(named: Array<[string, Tensor]>, patterns: readonly string[]): Set<Tensor> {
  const out = new Set<Tensor>();
  for (const pat of patterns) {
    const hits = named.filter(([n]) => `.${n}.`.includes(`.${pat}.`));
    if (hits.length === 0) {
      const sample = named.slice(0, 6).map(([n]) => n).join(', ');
      throw new Error(`training.freeze: '${pat}' matches no parameter of the model (names look like ${sample}, ...)`);
    }
    for (const [, t] of hits) out.add(t);
  }
  return out;
}

function configKey(c: TrainConfig): string {
  const copy = JSON.parse(JSON.stringify(c)) as TrainConfig;
  delete copy.training.maxSteps;
  // Checkpoints written before training.freeze existed saved no such key; an empty list is the same run.
  if (!copy.training.freeze?.length) delete (copy.training as Partial<TrainConfig['training']>).freeze;
  return JSON.stringify(copy);
}

const fmt = (x: number | null, d = 4) => (x === null ? '-' : x.toFixed(d));
const na3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/** Runs (or resumes) a training run; see the module comment. */
export async function train(opts: TrainOptions): Promise<TrainSummary> {
  const c = opts.config;
  const T = c.training;
  const world = distWorldSize();
  const userLog = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  // Every rank runs the same loop; only rank 0 talks to the user and writes files.
  const log = distRank() === 0 ? userLog : () => undefined;
  const ckRoot = join(opts.output, 'checkpoints');

  // ---- everything that can fail on bad input happens before training starts ----
  // Ranks that disagree on the config (or on --resume) would compute different things and hang
  // or diverge in a collective, so that is checked first.
  assertSameOnAllRanks('the training config', JSON.stringify({ config: c, resume: opts.resume ?? false }));
  if (world > T.batchSize) throw new Error(`training.batchSize (${T.batchSize}) is the global batch and must be at least the number of processes (${world})`);
  if (T.threads) setNumThreads(T.threads);
  else if (opts.defaultThreads) setNumThreads(opts.defaultThreads);
  let device: string = T.device === 'auto' ? (cudaAvailable() ? 'cuda' : 'cpu') : T.device;
  if (device === 'cuda' && !cudaAvailable()) throw new Error('training.device is cuda, but libtorch sees no CUDA device');
  if (device === 'cuda' && world > 1) device = `cuda:${opts.localRank ?? 0}`;
  if (T.miniBatch !== null && T.miniBatch < 1) throw new Error('training.miniBatch must be ≥ 1');
  // A run folder holds checkpoints and metrics nobody wants to lose by a forgotten --resume.
  checkOutputFolder(opts.output, opts.resume ? { existing: () => true } : { existing: 'empty', overwrite: opts.overwrite, what: 'run folder (pass --resume to continue it)' });
  const data: TrainingData = openTrainingData(c, opts.baseDir);
  try {
    // An impossible sampling configuration (dropLast with a batch larger than the data) is refused here, before
    // the model is built, rather than "completing" after 0 steps.
    HybridBatchSampler.create(data.train, samplerOptions(c, T.seed, T.epochs));
    try {
      HybridBatchSampler.create(data.validation, samplerOptions(c, mixSeed(T.seed, 0x7a1d), 1));
    } catch (err) {
      throw new Error(`validation data: ${(err as Error).message}`);
    }
  } catch (err) {
    data.close();
    throw err;
  }
  let retrievalSet: ReturnType<typeof loadRetrievalSet> | null = null;
  try {
    retrievalSet = c.retrievalEval ? loadRetrievalSet(c.retrievalEval) : null;
  } catch (err) {
    data.close();
    throw new Error(`retrievalEval: ${(err as Error).message}`);
  }
  let encoderModel: SentenceEncoder | null = null;
  try {
    encoderModel = await buildEncoder(c, opts.baseDir, device);
    const note = bf16Note(T.precision, device);
    if (note) log(note);
    const mixed = T.precision === 'bf16' ? { device: device.startsWith('cuda') ? ('cuda' as const) : ('cpu' as const), dtype: 'bfloat16' as const } : null;
    const enc = new SentenceTextEncoder(encoderModel, c.model.maxQueryLength, c.model.maxPassageLength, mixed);
    if (c.model.prefixes.query || c.model.prefixes.passage) {
      encoderModel.prompts.query = c.model.prefixes.query;
      encoderModel.prompts.passage = c.model.prefixes.passage;
    }
    return await runLoop(opts, c, data, enc, encoderModel, retrievalSet, device, ckRoot, log);
  } finally {
    encoderModel?.dispose();
    data.close();
  }
}

async function runLoop(
  opts: TrainOptions,
  c: TrainConfig,
  data: TrainingData,
  enc: SentenceTextEncoder,
  model: SentenceEncoder,
  retrievalSet: ReturnType<typeof loadRetrievalSet> | null,
  device: string,
  ckRoot: string,
  log: (m: string) => void,
): Promise<TrainSummary> {
  const T = c.training;
  const out = opts.output;
  const world = distWorldSize();
  const rank = distRank();
  const lead = rank === 0;
  if (lead) mkdirSync(out, { recursive: true });
  const metrics = new MetricsLog(join(out, 'metrics.jsonl'));
  const record = (r: Parameters<MetricsLog['append']>[0]): void => {
    if (lead) metrics.append(r);
  };
  const temperature = new Temperature(T.temperature, T.learnTemperature, 100, device === 'cpu' ? undefined : device);
  const trainable: Array<[string, Tensor]> = [...enc.namedParameters(), ...temperature.namedParameters().map(([, t]) => [TEMPERATURE_PARAM, t] as [string, Tensor])];
  const frozen = frozenParameters(enc.namedParameters(), T.freeze);
  for (const [, t] of enc.namedParameters()) if (frozen.has(t)) t.requiresGrad_(false);
  if (frozen.size) {
    const n = [...frozen].reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    log(`frozen: ${frozen.size} tensor(s), ${n.toLocaleString('en-US')} parameters (training.freeze: ${T.freeze.join(', ')})`);
  }
  const groups = decayGroups(enc.namedParameters().filter(([, t]) => !frozen.has(t)), T.weightDecay);
  groups[1]!.params.push(...temperature.namedParameters().map(([, t]) => [TEMPERATURE_PARAM, t] as [string, Tensor]));
  const optimizer = new AdamW(groups, { lr: T.lr, weightDecay: T.weightDecay, betas: T.betas, eps: T.eps });
  const stepsPerEpoch = Math.ceil(data.train.size / T.batchSize);
  const totalSteps = T.maxSteps ?? T.epochs * stepsPerEpoch;
  const warmup = T.warmupSteps ?? Math.round(T.warmupRatio * totalSteps);
  const scheduler = new LrScheduler(T.lr, { name: T.schedule, warmupSteps: warmup, totalSteps });
  let sampler = HybridBatchSampler.create(data.train, samplerOptions(c, T.seed, T.epochs));

  const st: Omit<TrainerState, 'scheduler' | 'sampler' | 'optimizer' | 'rng' | 'config'> = {
    format: 'polyret-trainer-state', version: 1, step: 0, finished: false, stopReason: null,
    best: null, badEvals: 0, badSteps: 0, skippedSteps: 0, lastEvalStep: 0, lastValidationLoss: null, initialValidationLoss: null,
    firstTrainLoss: null, lastTrainLoss: null, triplets: 0, tokens: 0, seconds: 0,
  };
  let resumedFrom: number | null = null;

  // ---- resume ----
  if (opts.resume) {
    const ck = latestValidCheckpoint(ckRoot, (m) => log(`warning: ${m}`));
    if (!ck) {
      log(`no valid checkpoint in ${ckRoot}: starting from step 0`);
    } else {
      const statePath = join(ck.dir, 'trainer.json');
      const saved = parseWithSchema(trainerStateSchema, parseJsonFile(readFileSync(statePath, 'utf8'), statePath), statePath) as unknown as TrainerState;
      if (saved.step !== ck.step) throw new Error(`${statePath}: field step: ${saved.step}, but the checkpoint folder is step ${ck.step}`);
      const savedWorld = saved.worldSize ?? 1;
      if (savedWorld !== world) {
        // Dropout masks are seeded per rank, so another world size would not continue the same run.
        throw new Error(`${ck.dir}: the checkpoint was written by a run with ${savedWorld} process${savedWorld === 1 ? '' : 'es'}, this run has ${world}; resume with ${savedWorld === 1 ? 'one process (no --nproc)' : `--nproc ${savedWorld} (or WORLD_SIZE=${savedWorld})`}, or start a new output folder`);
      }
      if (configKey(saved.config) !== configKey(c)) {
        throw new Error(`${ck.dir}: the checkpoint was written with a different config; resume with the config it saved (${join(ck.dir, 'config.yaml')}) or start a new output folder`);
      }
      if (saved.config.training.maxSteps !== c.training.maxSteps) log(`note: maxSteps changed from ${saved.config.training.maxSteps ?? 'none'} to ${c.training.maxSteps ?? 'none'}; the schedule follows the new length`);
      // A run that stopped only because it reached its old maxSteps goes on to a larger one; early stopping, a
      // finished schedule or non-finite losses stay final.
      if (saved.finished && saved.stopReason === 'max-steps' && saved.step < totalSteps) {
        saved.finished = false;
        saved.stopReason = null;
        log(`continuing from step ${saved.step} to step ${totalSteps}`);
      } else if (saved.finished) {
        log(`the run finished at step ${saved.step} (${saved.stopReason ?? 'completed'}); nothing to train${saved.stopReason === 'max-steps' ? ` (give --max-steps above ${saved.step} to continue)` : ''}`);
      }
      const params = new Map(trainable);
      const w = loadTensors(join(ck.dir, 'model.safetensors'));
      noGrad(() => {
        for (const [name, p] of params) {
          const t = w.tensors.get(name);
          if (!t) throw new Error(`${ck.dir}/model.safetensors lacks '${name}'`);
          p.copy_(t);
        }
      });
      for (const t of w.tensors.values()) t.dispose();
      const o = loadTensors(join(ck.dir, 'optimizer.safetensors'));
      try {
        optimizer.loadStateDict({ tensors: o.tensors, meta: saved.optimizer });
      } catch (err) {
        throw new Error(`${statePath} / optimizer.safetensors: ${(err as Error).message}`);
      } finally {
        for (const t of o.tensors.values()) t.dispose();
      }
      scheduler.load(saved.scheduler);
      try {
        sampler = HybridBatchSampler.restore(data.train, saved.sampler);
      } catch (err) {
        throw new Error(`${statePath}: field sampler: ${(err as Error).message}`);
      }
      const rngBytes = Buffer.from(saved.rng, 'base64');
      tidy(() => setRngState(fromArray(new Uint8Array(rngBytes), [rngBytes.length], { dtype: 'uint8' })));
      const { scheduler: _s, sampler: _sa, optimizer: _o, rng: _r, config: _c, worldSize: _w, ...rest } = saved;
      Object.assign(st, rest);
      resumedFrom = saved.step;
      if (lead) metrics.truncateAfter(saved.step);
      record({ kind: 'event', step: saved.step, event: 'resumed', from: ck.dir });
      log(`resumed from ${ck.dir} (step ${saved.step})`);
    }
  }
  if (world > 1) {
    // Every rank must continue from the same point (the output folder is shared), and none may
    // read a checkpoint that rank 0 is about to prune.
    assertSameOnAllRanks('the resume point', `step ${resumedFrom ?? 0}`);
    barrier();
    // As DistributedDataParallel: every rank starts from rank 0's weights.
    noGrad(() => {
      for (const [, t] of trainable) broadcast([t], 0);
    });
  }
  if (resumedFrom === null && lead) {
    // Reached only for a new run, an empty folder, --overwrite, or --resume without a valid checkpoint.
    rmSync(ckRoot, { recursive: true, force: true });
    rmSync(join(out, 'best'), { recursive: true, force: true });
    writeFileAtomic(metrics.path, '');
    metrics.append({ kind: 'event', step: 0, event: 'start', config: c, totalSteps, stepsPerEpoch, device, validation: data.validationSource, worldSize: world });
  }
  if (lead) writeFileAtomic(join(out, 'config.yaml'), toYaml(c));

  const lossFn = (layout: TripletLayout, shard: ShardedBatch | null = null) => (q: Tensor, p: Tensor) => {
    // Distributed: the whole global batch's embeddings, gathered with gradient, in single-process order.
    const all = shard ? gatherBatch(q, p, shard) : { q, p };
    return infoNCELoss(all.q, all.p, layout, { scale: temperature.scale(), symmetric: T.symmetric });
  };

  // Rank 0 computes the validation loss on the whole validation set and sends it to the others,
  // so every rank takes the same early-stopping decision.
  const validationLoss = (): number => {
    if (world === 1) return validationLossHere();
    const v = lead ? validationLossHere() : Number.NaN;
    return tidy(() => {
      const t = tensor([v], { dtype: 'float64' });
      broadcast([t], 0);
      return t.item();
    });
  };

  const validationLossHere = (): number => {
    enc.train(false);
    try {
      const vs = HybridBatchSampler.create(data.validation, samplerOptions(c, mixSeed(T.seed, 0x7a1d), 1));
      let sum = 0;
      let n = 0;
      for (let b = vs.next(), k = 0; b && (T.validationBatches === null || k < T.validationBatches); b = vs.next(), k++) {
        const { queries, passages, layout } = batchTexts(applyPrefixes(b, c.model.prefixes));
        const l = noGrad(() =>
          tidy(() => {
            const size = T.miniBatch ?? Math.max(queries.length, passages.length);
            const emb = (texts: string[], role: 'query' | 'passage') => {
              const parts: Tensor[] = [];
              for (let i = 0; i < texts.length; i += size) parts.push(enc.embed(texts.slice(i, i + size), role));
              return parts.length === 1 ? parts[0]! : cat(parts);
            };
            return lossFn(layout)(emb(queries, 'query'), emb(passages, 'passage')).item();
          }),
        );
        sum += l * queries.length;
        n += queries.length;
      }
      return n ? sum / n : Number.NaN;
    } finally {
      enc.train(true);
    }
  };

  const modelTensors = (): Map<string, Tensor> => new Map(trainable);

  const saveBest = (step: number, loss: number): void => {
    if (!lead) return;
    writeCheckpointDir(out, 'best', step, [
      { name: 'model.safetensors', write: (p) => saveTensors(p, modelTensors()) },
      { name: 'best.json', data: `${JSON.stringify({ step, validationLoss: loss }, null, 2)}\n` },
    ]);
  };

  let lastCheckpointStep: number | null = resumedFrom;
  // Ctrl-C between steps: say where the run stands (the output writer removes any temporary folder).
  const removeNote = onInterruptNote(() =>
    `training stopped at step ${st.step}; ${lastCheckpointStep === null ? 'no checkpoint was written yet' : `the checkpoint of step ${lastCheckpointStep} is intact: continue with --resume`}`);
  let samplerStateNow = (): unknown => sampler.state();
  const saveCheckpoint = (): void => {
    if (!lead) {
      lastCheckpointStep = st.step;
      return;
    }
    const samplerState = samplerStateNow();
    if (samplerState === null) throw new Error(`internal: no sampler state captured for the checkpoint at step ${st.step}`);
    const optState = optimizer.stateDict();
    const rng = tidy(() => Buffer.from(getRngState().data<'uint8'>()).toString('base64'));
    const state: TrainerState = { ...st, scheduler: scheduler.state(), sampler: samplerState, optimizer: optState.meta, rng, worldSize: world, config: c };
    writeCheckpointDir(ckRoot, stepDirName(st.step), st.step, [
      { name: 'model.safetensors', write: (p) => saveTensors(p, modelTensors()) },
      { name: 'optimizer.safetensors', write: (p) => saveTensors(p, optState.tensors) },
      { name: 'trainer.json', data: `${JSON.stringify(state)}\n` },
      { name: 'config.yaml', data: toYaml(c) },
    ]);
    pruneCheckpoints(ckRoot, T.keepCheckpoints);
    lastCheckpointStep = st.step;
  };

  const evaluate = (): boolean => {
    const v = validationLoss();
    st.lastEvalStep = st.step;
    st.lastValidationLoss = v;
    if (st.step === 0) st.initialValidationLoss = v;
    const improved = Number.isFinite(v) && (st.best === null || v < st.best.loss - T.minDelta);
    if (improved) {
      st.best = { loss: v, step: st.step };
      st.badEvals = 0;
      saveBest(st.step, v);
    } else {
      st.badEvals += 1;
    }
    record({ kind: 'validation', step: st.step, loss: v, best: st.best?.loss ?? null, bestStep: st.best?.step ?? null, badEvals: st.badEvals });
    return T.patience !== null && st.badEvals >= T.patience;
  };

  const retrieval: RetrievalSummary[] = [];
  const runRetrieval = (label: string): void => {
    if (!retrievalSet || !c.retrievalEval) return;
    // Rank 0 evaluates alone; the others wait, so the numbers are the single-process ones.
    // After training the other ranks have left, so nothing waits for the final evaluation.
    if (!lead) {
      if (label !== 'after') barrier();
      return;
    }
    const r = evaluateRetrieval(model, retrievalSet, c, { progress: opts.progress });
    const file = join(out, 'retrieval', `${c.retrievalEval.task}-${label}-step${st.step}.json`);
    writeFileAtomic(file, `${JSON.stringify(r)}\n`);
    const s = { ...retrievalSummary(r, st.step, label), file };
    retrieval.push(s);
    record({ kind: 'retrieval', ...s });
    log(`retrieval ${c.retrievalEval.task} @ step ${st.step}: Mo. ${na3(s.mono)}  Cr. ${na3(s.cross)}  Mul. ${na3(s.multi)}  rank dist. ${s.rankDistance.toFixed(1)}`);
    if (world > 1 && label !== 'after') barrier();
  };

  // ---- the loop ----
  enc.train(true);
  if (resumedFrom === null) {
    // The untrained model's validation loss: the baseline the log starts from, and the model kept
    // if training never improves on it.
    evaluate();
    if (retrievalSet) runRetrieval('before');
  }
  const started = Date.now();
  const secondsBefore = st.seconds;
  const progress = new Progress({ total: totalSteps, label: 'train', unit: 'step', enabled: lead ? opts.progress : false });
  progress.tick(st.step);
  let stopReason: StopReason | null = st.finished ? st.stopReason : null;
  let tokensWindow = { t: Date.now(), tokens: 0 };
  let tokRate = 0;
  // The next batch is drawn and tokenised (on a worker thread) while the current step runs. The
  // sampler is then one batch ahead, so the state a checkpoint records is the one captured before
  // the look-ahead draw.
  type Fetched = { raw: TextBatch; texts: ReturnType<typeof batchTexts>; ready: Promise<void> | null };
  const fetchBatch = (): Fetched | null => {
    const raw = sampler.next();
    if (!raw) return null;
    const texts = rankTexts(applyPrefixes(raw, c.model.prefixes), world, rank);
    const ready = worker
      ? Promise.all([worker.tokenize(texts.queries, enc.limits.query), worker.tokenize(texts.passages, enc.limits.passage)])
        .then(([qr, pr]) => {
          enc.prime(texts.queries, 'query', qr);
          enc.prime(texts.passages, 'passage', pr);
        })
        // A failed worker only costs speed: embed() tokenises whatever is not primed.
        .catch(() => undefined)
      : null;
    return { raw, texts, ready };
  };
  let worker: TokenizerWorker | null = null;
  try {
    const files = enc.tokenizerFiles;
    worker = new TokenizerWorker(files.tokenizerPath, files.configPath);
  } catch {
    worker = null;
  }
  let lookahead: Fetched | null = null;
  let samplerStateBeforeLookahead: unknown = null;
  samplerStateNow = () => (lookahead ? samplerStateBeforeLookahead : sampler.state());
  try {
    let previous: Fetched | null = null;
    while (stopReason === null) {
      if (st.step >= totalSteps) {
        stopReason = T.maxSteps !== undefined ? 'max-steps' : 'completed';
        break;
      }
      const current: Fetched | null = lookahead ?? fetchBatch();
      lookahead = null;
      if (previous) {
        enc.forget(previous.texts.queries, 'query');
        enc.forget(previous.texts.passages, 'passage');
      }
      previous = current;
      if (!current) {
        stopReason = 'completed';
        break;
      }
      if (current.ready) await current.ready;
      // One turn of the event loop per step (an already-settled promise yields to microtasks only), so SIGINT and
      // SIGTERM are handled between steps (src/util/outputWriter.ts).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const willSave = (st.step + 1) % T.checkpointEvery === 0 || (st.step + 1) % T.evalEvery === 0 || st.step + 1 >= totalSteps;
      samplerStateBeforeLookahead = willSave ? sampler.state() : null;
      if (st.step + 1 < totalSteps) lookahead = fetchBatch();
      const raw = current.raw;
      const { queries, passages, layout, shard } = current.texts;
      const step = st.step;
      const result = contrastiveStep(enc, queries, passages, lossFn(layout, shard), {
        miniBatch: T.miniBatch,
        // Dropout: reproducible, and different on every rank (rank r's masks are not rank 0's).
        seedFor: world === 1 ? (k) => mixSeed(T.seed, step, k) : (k) => mixSeed(T.seed, step, k, rank + 1),
      });
      if (world > 1) {
        // The loss is the global batch's on every rank already; the token count is summed.
        result.tokens = tidy(() => {
          const t = tensor([result.tokens], { dtype: 'float64' });
          allReduce([t], 'sum');
          return t.item();
        });
      }
      const globalBatch = raw.items.length;
      st.step += 1;
      st.triplets += globalBatch;
      st.tokens += result.tokens;
      tokensWindow.tokens += result.tokens;
      if (!result.finite) {
        optimizer.zeroGrad();
        st.badSteps += 1;
        st.skippedSteps += 1;
        record({ kind: 'skip', step: st.step, loss: result.loss, consecutive: st.badSteps });
        log(`warning: step ${st.step}: loss is ${result.loss}; step skipped (${st.badSteps}/${T.maxBadSteps} in a row)`);
        if (st.badSteps >= T.maxBadSteps) {
          stopReason = 'non-finite-loss';
          break;
        }
        continue;
      }
      st.badSteps = 0;
      // Each rank's gradients hold its encoder's share of the global loss's gradient (times the world
      // size, from the gather's backward); their average is the single-process gradient.
      if (world > 1) averageGradients(trainable.map(([, t]) => t));
      const gradNorm = T.maxGradNorm !== null ? clipGradNorm(trainable.map(([, t]) => t), T.maxGradNorm) : null;
      const lr = scheduler.lr;
      optimizer.setLr(lr);
      optimizer.step();
      optimizer.zeroGrad();
      scheduler.step();
      if (st.firstTrainLoss === null) st.firstTrainLoss = result.loss;
      st.lastTrainLoss = result.loss;
      const now = Date.now();
      if (now - tokensWindow.t >= 1000) {
        tokRate = (tokensWindow.tokens * 1000) / (now - tokensWindow.t);
        tokensWindow = { t: now, tokens: 0 };
      }
      const mode = describeBatch(raw);
      record({
        kind: 'train', step: st.step, loss: result.loss, lr, gradNorm, mode: raw.mode, batch: globalBatch,
        langs: [...new Set(raw.items.flatMap((it) => [it.queryLang, it.passageLang]))].sort(),
        epoch: raw.epoch, tokens: result.tokens, temperature: temperature.value(),
      });
      progress.tick(1, `loss ${result.loss.toFixed(4)} lr ${lr.toExponential(2)} ${mode} ${tokRate > 0 ? `${(tokRate / 1000).toFixed(1)}k tok/s` : ''} val ${fmt(st.lastValidationLoss)}`);
      let stop = false;
      if (st.step % T.evalEvery === 0) stop = evaluate();
      if (c.retrievalEval?.every && st.step % c.retrievalEval.every === 0) runRetrieval('during');
      if (stop) stopReason = 'early-stopping';
      st.seconds = secondsBefore + (Date.now() - started) / 1000;
      if (st.step % T.checkpointEvery === 0 || stop) {
        if (stop) {
          st.finished = true;
          st.stopReason = stopReason;
        }
        saveCheckpoint();
      }
    }
  } finally {
    if (worker) await worker.close();
  }
  progress.finish();

  if (stopReason !== 'non-finite-loss') {
    if (st.lastEvalStep !== st.step || st.lastValidationLoss === null) evaluate();
    if (!st.finished) {
      st.finished = true;
      st.stopReason = stopReason;
      st.seconds = secondsBefore + (Date.now() - started) / 1000;
      saveCheckpoint();
    }
  } else {
    log(`stopping: ${T.maxBadSteps} non-finite losses in a row at step ${st.step}; ${lastCheckpointStep === null ? 'no checkpoint was written' : `the last checkpoint (step ${lastCheckpointStep}) is intact`}`);
  }

  // ---- the final model: the best validation checkpoint ----
  const bestDir = join(out, 'best');
  if (!lead) {
    // Rank 0 writes the final model and the summary; the others are done.
    optimizer.dispose();
    temperature.dispose();
    return {
      steps: st.step, stopReason: stopReason ?? 'completed', bestStep: st.best?.step ?? null, bestValidationLoss: st.best?.loss ?? null,
      lastValidationLoss: st.lastValidationLoss, initialValidationLoss: st.initialValidationLoss, firstTrainLoss: st.firstTrainLoss,
      lastTrainLoss: st.lastTrainLoss, skippedSteps: st.skippedSteps, triplets: st.triplets, tokens: st.tokens,
      seconds: secondsBefore + (Date.now() - started) / 1000, finalDir: join(out, 'final'), resumedFrom, retrieval,
    };
  }
  if (st.best && existsSync(bestDir) && verifyCheckpointDir(bestDir).ok) {
    const w = loadTensors(join(bestDir, 'model.safetensors'));
    noGrad(() => {
      for (const [name, p] of trainable) p.copy_(w.tensors.get(name)!);
    });
    for (const t of w.tensors.values()) t.dispose();
  } else if (st.best) {
    log(`warning: the best checkpoint ${bestDir} is missing or fails its checksums; the final model is the last state`);
  }
  const finalDir = join(out, 'final');
  // Written as one folder set beside final/ and renamed over it; the training languages are part of the set
  // (evaluations split their results into languages seen and unseen in training by that file).
  saveSentenceEncoder(model, finalDir, { extra: (tmp) => writeTrainingLanguages(tmp, data.train.languages) });
  if (retrievalSet) runRetrieval('after');

  const summary: TrainSummary = {
    steps: st.step,
    stopReason: stopReason ?? 'completed',
    bestStep: st.best?.step ?? null,
    bestValidationLoss: st.best?.loss ?? null,
    lastValidationLoss: st.lastValidationLoss,
    initialValidationLoss: st.initialValidationLoss,
    firstTrainLoss: st.firstTrainLoss,
    lastTrainLoss: st.lastTrainLoss,
    skippedSteps: st.skippedSteps,
    triplets: st.triplets,
    tokens: st.tokens,
    seconds: secondsBefore + (Date.now() - started) / 1000,
    finalDir,
    resumedFrom,
    retrieval,
  };
  metrics.append({ kind: 'summary', step: st.step, ...summary });
  writeFileAtomic(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  // The loss curves as pictures: people look at these rather than at metrics.jsonl.
  const curves = trainingCurvesSvg(MetricsLog.read(metrics.path), `training curves: ${basename(out)}`);
  writeFileAtomic(join(out, 'curves.svg'), curves);
  writeFileAtomic(join(out, 'curves.png'), await svgToPng(curves));
  optimizer.dispose();
  temperature.dispose();
  removeNote();
  return summary;
}
