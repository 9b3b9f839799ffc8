import type { Command } from '../command.js';

/**
 * The sub-commands, loaded lazily so that `polyret --help` and data-only commands
 * do not pay for loading libtorch.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  batches: { summary: 'show the composition of hybrid / mono / cross-lingual training batches', load: async () => (await import('./batches.js')).default },
  eval: { summary: 'evaluate retrieval: XQuAD-R / MLQA-R (LAReQA protocol) or MIRACL; writes results JSON', load: async () => (await import('./eval.js')).default },
  report: { summary: 'Markdown/CSV tables, X→Y heatmaps (SVG/PNG) and paired significance tests from results files', load: async () => (await import('./report.js')).default },
  score: { summary: 'score a TREC run against qrels (trec_eval / scikit-learn semantics)', load: async () => (await import('./score.js')).default },
  encode: { summary: 'encode texts (JSONL/TSV) into an embeddings file with a Hugging Face encoder', load: async () => (await import('./encode.js')).default },
  export: { summary: 'export a model folder to ONNX for transformers.js / onnxruntime (fp32, optional dynamic int8)', load: async () => (await import('./export.js')).default },
  'init-model': { summary: 'create a randomly initialised BERT / XLM-R encoder folder (BERT init) from a tokenizer', load: async () => (await import('./initModel.js')).default },
  train: { summary: 'fine-tune a dual encoder with hybrid / mono / cross-lingual batches (checkpoints, resume, early stopping)', load: async () => (await import('./train.js')).default },
  study: { summary: 'run a grid of training runs with evaluations, statistics and a report (resumable after SIGKILL)', load: async () => (await import('./study.js')).default },
  demo: { summary: 'train a small encoder on XQuAD with hybrid batches, evaluate zero-shot on MLQA-R (minutes on a CPU)', load: async () => (await import('./demo.js')).default },
};
