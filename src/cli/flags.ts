import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options, P extends boolean> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>>;

/**
 * node:util's parseArgs in strict mode, with its errors (unknown flag, missing value) turned into a
 * UsageError that shows the command's usage.
 */
export function parseFlags<const O extends Options, const P extends boolean = false>(argv: string[], options: O, usage: string, allowPositionals?: P): Parsed<O, P> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

/** A flag's value as an integer ≥ `min` (default 1), or a UsageError naming the flag. */
export function intFlag(flag: string, value: string, min = 1): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    const what = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : min <= Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer ≥ ${min}`;
    throw new UsageError(`--${flag} must be ${what}, got '${value}'`);
  }
  return n;
}
