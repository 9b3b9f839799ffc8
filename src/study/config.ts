/**
 * The study configuration (`polyret study --config STUDY.yaml`): a base training config, a grid of `--set`-style
 * overrides whose product is the set of runs, optional fixed overrides, and the evaluations run on every final
 * model. Checked with zod like the training config, so a typo is an error naming the field before anything runs.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, loadTrainConfig, resolveConfigPath } from '../train/config.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * One evaluation: `task` is any task `runEval` knows (xquad-r, mlqa-r, miracl, tatoeba, beir, ...); `lang` its
 * languages; every other key is passed to the task's options as it is (e.g. `candidateText`, `similarity`,
 * `dataset`, `corpus`), so new tasks plug in without changing the study. `name` names the results file.
 */
const EvaluateSchema = z
  .looseObject({
    task: z.string().min(1),
    lang: z.array(z.string().min(2)).min(1).optional(),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only').optional(),
  });

export const StudyConfigSchema = z
  .strictObject({
    /** The training config every run starts from (relative to the study config). */
    base: z.string().min(1),
    /** Dotted config paths (as for `polyret train --set`) → the values to try; the runs are the product. */
    grid: z.record(z.string().min(1), z.array(scalar).min(1)).refine((g) => Object.keys(g).length > 0, 'give at least one grid key'),
    /** Overrides applied to every run (dotted path → value). */
    set: z.record(z.string().min(1), z.unknown()).default({}),
    /** The grid key whose values are repetitions of one grid point (averaged over, paired across points). */
    seedKey: z.string().min(1).default('training.seed'),
    evaluate: z.array(EvaluateSchema).default([]),
    /**
     * Run names (as in DIR/runs) to run before the others, in this order; the rest follow in grid order. Lets a
     * study that may be stopped early get a few seeds of the comparisons that matter most first.
     */
    first: z.array(z.string().min(1)).default([]),
    /** Report options: resamples of the paired randomization tests and their seed. */
    report: z.strictObject({ samples: z.number().int().min(100).default(10000), seed: z.number().int().min(0).default(1) }).prefault({}),
  })
  .superRefine((c, ctx) => {
    for (const k of Object.keys(c.grid)) {
      if (k in c.set) ctx.addIssue({ code: 'custom', path: ['set', k], message: `"${k}" is both a grid key and a fixed override` });
      if (k.split('.').some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) ctx.addIssue({ code: 'custom', path: ['grid', k], message: 'not a valid key path' });
    }
    const names = new Set<string>();
    c.evaluate.forEach((e, i) => {
      const n = evaluationName(e, i, c.evaluate);
      if (names.has(n)) ctx.addIssue({ code: 'custom', path: ['evaluate', i, 'name'], message: `two evaluations are named "${n}": give them different names` });
      names.add(n);
    });
  });

export type StudyConfig = z.infer<typeof StudyConfigSchema>;
export type EvaluateEntry = z.infer<typeof EvaluateSchema>;

/** The results-file name of an evaluation: its `name`, else its task (with the index when a task repeats). */
export function evaluationName(e: EvaluateEntry, index: number, all: readonly EvaluateEntry[]): string {
  if (e.name) return e.name;
  return all.filter((x) => x.task === e.task && !x.name).length > 1 ? `${e.task}-${index}` : e.task;
}

/** A YAML value as `--set` reads it back (so the child trainer gets exactly the value of the study config). */
export function setValue(v: unknown): string {
  return JSON.stringify(v);
}

export interface LoadedStudy {
  config: StudyConfig;
  /** Absolute path of the study config and of the base training config. */
  path: string;
  basePath: string;
}

/**
 * Reads and checks a study config, and checks that the base training config is valid with every grid point's
 * overrides (so a bad grid value fails before the first run, not an hour into the study).
 */
export function loadStudyConfig(path: string): LoadedStudy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the study config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML/JSON (${(err as Error).message})`);
  }
  const r = StudyConfigSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message}`);
    throw new ConfigError(`${path}: invalid study config\n${lines.join('\n')}`);
  }
  const config = r.data;
  if (!(config.seedKey in config.grid)) {
    // Not an error: a study may have one seed (then no across-seed statistics); said in the report.
  }
  const basePath = resolveConfigPath(config.base, dirname(resolve(path)));
  return { config, path: resolve(path), basePath };
}

/** Checks the base config with the given overrides (a run's), naming the run on error. */
export function checkRunConfig(basePath: string, overrides: readonly string[], run: string): void {
  try {
    loadTrainConfig(basePath, overrides);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`run ${run}: ${err.message}`);
    throw err;
  }
}
