/** One `polyret` sub-command: its help text and its entry point (argv after the command name). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number | void>;
}

/** An error whose message is shown to the user without a stack trace (bad flags, bad input files). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
