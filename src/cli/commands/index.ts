import type { Command } from '../command.js';

/**
 * The sub-commands, loaded lazily so that `polyret --help` and data-only commands
 * do not pay for loading libtorch.
 */
export const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
};
