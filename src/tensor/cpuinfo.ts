import { readFileSync } from 'node:fs';

/**
 * Readers of Linux's /proc/cpuinfo text (pure, but for readCpuinfo), shared by the bf16 detection (cpuFeatures.ts) and the OpenBLAS kernel
 * choice (openblasCore.ts). They do not touch libtorch, so the addon's loader can use them before it loads.
 */

/**
 * The flags listed on **every** processor's `flags` line (a heterogeneous machine is judged by its weakest core), or
 * null when the text has no `flags` line (not Linux, or not readable).
 */
export function commonCpuFlags(cpuinfo: string): Set<string> | null {
  const lines = cpuinfo.split('\n').filter((l) => /^flags\s*:/.test(l)).map((l) => new Set(l.slice(l.indexOf(':') + 1).trim().split(/\s+/)));
  if (lines.length === 0) return null;
  const [first, ...rest] = lines as [Set<string>, ...Set<string>[]];
  return new Set([...first].filter((f) => rest.every((s) => s.has(f))));
}

/** The first processor's value for a `key : value` line (`model name`, `vendor_id`, …), or null. */
export function cpuinfoField(cpuinfo: string, key: string): string | null {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1]?.trim() ?? null;
}

let text: string | null = null;

/**
 * This machine's /proc/cpuinfo, read once (the addon's loader and the bf16 detection both need it), or '' where there
 * is none (not Linux): the readers above then find no flags.
 */
export function readCpuinfo(): string {
  if (text === null) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      text = '';
    }
  }
  return text;
}
