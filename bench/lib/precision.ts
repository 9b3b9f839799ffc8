/** The precisions a benchmark row can run in: fp32, or bf16 (polyret's autocast against the peer's torch.autocast). */
export type BenchPrecision = 'fp32' | 'bf16';

/** Parses `--precision fp32,bf16` (comma-separated, each once). */
export function parsePrecisions(value: string | undefined): BenchPrecision[] {
  const list = (value ?? 'fp32').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new Error(`--precision: expected fp32 and/or bf16, comma-separated, got '${value}'`);
  for (const p of list) if (p !== 'fp32' && p !== 'bf16') throw new Error(`--precision: expected fp32 or bf16, got '${p}'`);
  if (new Set(list).size !== list.length) throw new Error(`--precision: '${value}' names a precision twice`);
  return list as BenchPrecision[];
}
