import { arch } from 'node:os';
import { commonCpuFlags, cpuinfoField, readCpuinfo } from './cpuinfo.js';
import { native } from './native.js';

/**
 * Whether this CPU runs bfloat16 matrix products natively. On x86-64 that means AMX-BF16 (Sapphire Rapids and
 * later) or AVX512-BF16 (Cooper Lake, Zen 4 and later): libtorch's oneDNN then multiplies bf16 directly, about
 * twice the fp32 rate. Without them bf16 products are emulated: by default polyret multiplies bf16-rounded operands
 * with the float32 GEMM (bf16Products.ts), at about fp32's speed; libtorch's own fallback is a reference loop, many
 * times slower. Either way bf16 is not faster than fp32 there.
 */
export interface Bf16Support {
  /** true when AMX-BF16 or AVX512-BF16 is present (and libtorch has oneDNN to use it). */
  readonly native: boolean;
  /** The bf16-related flags found in /proc/cpuinfo, e.g. ['amx_bf16', 'avx512_bf16']. */
  readonly flags: readonly string[];
  /** libtorch's oneDNN (MKL-DNN) version line, or null when libtorch was built without it. */
  readonly oneDnn: string | null;
  /** One sentence for logs: what was found and what it means for bf16. */
  readonly reason: string;
}

/** The x86-64 /proc/cpuinfo flags that give native bf16 products. */
export const NATIVE_BF16_FLAGS = ['amx_bf16', 'avx512_bf16'] as const;

/**
 * Reads bf16 support from the text of /proc/cpuinfo (x86-64 Linux: the `flags` lines), the CPU architecture
 * and libtorch's parallel-info text (`at::get_parallel_info()`, which names oneDNN when libtorch has it).
 * Pure: tests feed it fixed strings. Every processor's flags line must list a flag for it to count, so a
 * heterogeneous machine is judged by its weakest core.
 */
export function parseBf16Support(cpuinfo: string, cpuArch: string, parallelInfo: string): Bf16Support {
  const oneDnnLine = parallelInfo.split('\n').map((l) => l.trim()).find((l) => /MKL-DNN|oneDNN/i.test(l)) ?? null;
  if (cpuArch !== 'x64') {
    return { native: false, flags: [], oneDnn: oneDnnLine, reason: `bf16 detection covers x86-64 only (this CPU is ${cpuArch}); treating bf16 as not native` };
  }
  const common = commonCpuFlags(cpuinfo);
  if (!common) {
    return { native: false, flags: [], oneDnn: oneDnnLine, reason: 'no CPU flags found in /proc/cpuinfo; treating bf16 as not native' };
  }
  const flags = NATIVE_BF16_FLAGS.filter((f) => common.has(f));
  const model = cpuinfoField(cpuinfo, 'model name') ?? 'this CPU';
  if (flags.length === 0) {
    const avx512 = common.has('avx512f');
    return {
      native: false, flags, oneDnn: oneDnnLine,
      reason: `${model} has neither AMX-BF16 nor AVX512-BF16${avx512 ? ' (AVX-512 without bf16 instructions)' : ''}: no native bf16 products`,
    };
  }
  if (!oneDnnLine) {
    return { native: false, flags, oneDnn: null, reason: `${model} has ${flags.join(' and ')}, but this libtorch has no oneDNN to use them: no native bf16 products` };
  }
  return { native: true, flags, oneDnn: oneDnnLine, reason: `${model} has ${flags.join(' and ')} (libtorch: ${oneDnnLine}): bf16 products run natively` };
}

let cached: Bf16Support | null = null;

/** This machine's bf16 support (read once). */
export function cpuBf16Support(): Bf16Support {
  if (!cached) {
    // '' when not Linux: parseBf16Support reports that no flags were found.
    cached = parseBf16Support(readCpuinfo(), arch(), native.parallelInfo());
  }
  return cached;
}
