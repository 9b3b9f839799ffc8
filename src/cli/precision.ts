import { UsageError } from './command.js';
// Type-only: `polyret train` checks its flags before it loads libtorch.
import type { Precision } from '../tensor/precision.js';

const DESCRIPTION = [
  'fp32 (default) or bf16: mixed precision (weights fp32, matrix products bf16 under',
  'libtorch autocast, fp32 outputs). Fast only on CPUs with AMX-BF16 or AVX512-BF16 (and',
  'CUDA); elsewhere its products are emulated at about fp32\'s speed (no gain), and it says so',
];

/** Help lines of `--precision` for a usage text whose descriptions start at `column`, plus optional extra lines. */
export function precisionHelp(column: number, ...extra: string[]): string {
  const flag = '  --precision P';
  return [...DESCRIPTION, ...extra].map((l, i) => (i === 0 ? flag.padEnd(column) : ' '.repeat(column)) + l).join('\n');
}

/** `--precision`'s value, or a UsageError naming the flag. */
export function precisionFlag(value: string): Precision {
  if (value !== 'fp32' && value !== 'bf16') throw new UsageError(`--precision must be fp32 or bf16, got '${value}'`);
  return value;
}
