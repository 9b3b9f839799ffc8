import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options, P extends boolean> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>>;

/** A negative number as a value: `-1`, `-0.1`, `-.5`, `-1e-3` (never a flag: no flag starts with a digit). */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * parseArgs takes `--limit -1` for a flag `-1` ("argument is ambiguous"). A string flag followed by a negative
 * number is rewritten as `--limit=-1`, so the value reaches the flag's own range check.
 */
export function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const short = new Map(Object.entries(options).filter(([, o]) => o.short).map(([name, o]) => [o.short!, name]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : /^-[A-Za-z]$/.test(a) ? short.get(a[1]!) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * node:util's parseArgs in strict mode, with its errors (unknown flag, missing value) turned into a
 * UsageError that shows the command's usage. Negative numbers are accepted as values (`--alpha -0.1`).
 */
export function parseFlags<const O extends Options, const P extends boolean = false>(argv: string[], options: O, usage: string, allowPositionals?: P): Parsed<O, P> {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
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
