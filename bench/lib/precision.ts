import { bf16Products, cpuBf16Support } from '../../src/tensor/index.js';

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

/** The line benches print above bf16 rows: what this CPU does with bf16 (native or emulated, and why). */
export function bf16BenchNote(): string {
  const s = cpuBf16Support();
  return `bf16: ${s.reason}${s.native ? ' (native is not always faster than fp32: with AVX512-BF16 and no AMX, bf16 was slower than fp32 on an Emerald Rapids Xeon and 1.7-3.4× faster on a Zen 5 EPYC; compare the rows here; docs/training.md#bf16-on-the-cpu)' : nonNative()}`;
}

function nonNative(): string {
  return bf16Products() === 'emulated'
    ? '; polyret emulates bf16 products with the float32 GEMM on bf16-rounded operands (its default here), the peer runs PyTorch\'s own bf16 kernels (a reference loop without AVX-512)'
    : '; both sides run their libtorch\'s own bf16 kernels (POLYRET_BF16_PRODUCTS=libtorch)';
}
