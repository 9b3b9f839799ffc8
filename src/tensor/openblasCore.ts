import { cpuinfoField, commonCpuFlags } from './cpuinfo.js';

/**
 * Which OpenBLAS kernels polyret asks for (OPENBLAS_CORETYPE), so that a CPU newer than the installed OpenBLAS still
 * gets vector kernels.
 *
 * Why: OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels from the CPU's family and model number, and a
 * model it does not know falls back to Prescott, its SSE3 kernels. Debian 12's OpenBLAS 0.3.21 does not know Intel's
 * 5th-generation Xeon (Emerald Rapids, family 6 model 207): measured on such a 2-core VM, a 2048² float32 matmul ran
 * at 57 GFLOP/s with the Prescott kernels it chose, 286 GFLOP/s with OPENBLAS_CORETYPE=SkylakeX (PyTorch 2.13's MKL:
 * 246). The choice goes by the instruction sets /proc/cpuinfo reports, which OpenBLAS does not look at:
 *
 * - AVX-512 F, CD, BW, DQ and VL on every processor → `SkylakeX`: the kernels OpenBLAS uses for every AVX-512 CPU it
 *   knows (Skylake-SP to Sapphire Rapids, and Zen 4 from 0.3.22; its Cooperlake and SapphireRapids cores only add
 *   bf16 GEMMs that libtorch does not call);
 * - Intel with AVX2 and FMA but not that AVX-512 set → `Haswell`, what OpenBLAS picks for every such Intel CPU;
 * - anything else (AMD without AVX-512, which OpenBLAS recognises by family as Zen; older CPUs; other
 *   architectures) → no choice: OpenBLAS's own detection stands.
 */
export interface OpenblasCoreChoice {
  /** The OPENBLAS_CORETYPE value to set, or null to leave OpenBLAS's own detection alone. */
  readonly coreType: 'SkylakeX' | 'Haswell' | null;
  /** One sentence for logs: what was found and why. */
  readonly reason: string;
}

const AVX512_SKX = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'] as const;

/** The kernel choice for this /proc/cpuinfo text and CPU architecture (`os.arch()`). Pure: tests feed it fixed strings. */
export function chooseOpenblasCore(cpuinfo: string, cpuArch: string): OpenblasCoreChoice {
  if (cpuArch !== 'x64') return { coreType: null, reason: `not x86-64 (${cpuArch}): OpenBLAS's own kernel choice` };
  const flags = commonCpuFlags(cpuinfo);
  if (!flags) return { coreType: null, reason: "no CPU flags in /proc/cpuinfo: OpenBLAS's own kernel choice" };
  if (AVX512_SKX.every((f) => flags.has(f))) return { coreType: 'SkylakeX', reason: 'AVX-512 (F, CD, BW, DQ, VL) on every processor: SkylakeX kernels' };
  if (cpuinfoField(cpuinfo, 'vendor_id') === 'GenuineIntel' && flags.has('avx2') && flags.has('fma')) {
    return { coreType: 'Haswell', reason: 'Intel with AVX2 and FMA, without AVX-512: Haswell kernels' };
  }
  return { coreType: null, reason: "no AVX-512, not an Intel AVX2 CPU: OpenBLAS's own kernel choice" };
}

/**
 * What the addon's loader does before libtorch (and with it OpenBLAS, which reads OPENBLAS_CORETYPE once, when it
 * loads) is loaded: sets `env.OPENBLAS_CORETYPE` from chooseOpenblasCore unless the user set it (any value, their
 * choice wins) or set POLYRET_OPENBLAS_CORETYPE=off. Returns the value it set, or null. With a libtorch that has no
 * OpenBLAS (PyTorch's wheels use MKL) the variable is simply unused.
 */
export function applyOpenblasCore(env: NodeJS.ProcessEnv, cpuinfo: string, cpuArch: string): string | null {
  if (env.OPENBLAS_CORETYPE !== undefined || env.POLYRET_OPENBLAS_CORETYPE === 'off') return null;
  const { coreType } = chooseOpenblasCore(cpuinfo, cpuArch);
  if (coreType) env.OPENBLAS_CORETYPE = coreType;
  return coreType;
}
