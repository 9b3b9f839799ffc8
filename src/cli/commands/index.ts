import type { Command } from '../command.js';

/**
 * The sub-commands, loaded lazily so that `polyret --help` and data-only commands
 * do not pay for loading libtorch.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  batches: { summary: 'show the composition of hybrid / mono / cross-lingual training batches', load: async () => (await import('./batches.js')).default },
  eval: { summary: 'evaluate retrieval: XQuAD-R / MLQA-R (LAReQA protocol) or MIRACL; writes results JSON', load: async () => (await import('./eval.js')).default },
  score: { summary: 'score a TREC run against qrels (trec_eval / scikit-learn semantics)', load: async () => (await import('./score.js')).default },
};
