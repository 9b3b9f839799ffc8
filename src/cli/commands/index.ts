import type { Command } from '../command.js';

/**
 * The sub-commands, loaded lazily so that `polyret --help` and data-only commands
 * do not pay for loading libtorch.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  score: { summary: 'score a TREC run against qrels (trec_eval / scikit-learn semantics)', load: async () => (await import('./score.js')).default },
};
