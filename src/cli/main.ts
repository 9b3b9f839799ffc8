import { commands } from './commands/index.js';
import { UsageError } from './command.js';
import { exitWithParent } from '../util/exitWithParent.js';

function help(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(8, ...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${commands[n]!.summary}`);
  return [
    'polyret — train and evaluate multilingual dense retrievers (hybrid batch training)',
    '',
    'Usage: polyret <command> [options]',
    '       polyret <command> --help',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`polyret: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage.trimEnd()}\n`);
    return 0;
  }
  const code = await cmd.run(rest);
  return typeof code === 'number' ? code : 0;
}

// A distributed worker's messages say which rank they come from.
const rankPrefix = process.env.WORLD_SIZE && process.env.WORLD_SIZE !== '1' && process.env.RANK !== undefined ? ` [rank ${process.env.RANK}]` : '';

exitWithParent();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`polyret${rankPrefix}: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof Error) {
      process.stderr.write(`polyret${rankPrefix}: ${err.message}\n`);
      if (process.env.POLYRET_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`polyret${rankPrefix}: ${String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
