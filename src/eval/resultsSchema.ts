import { z } from 'zod';

/**
 * The schema of a results file (`polyret eval` writes it, `polyret report` reads it back). Every number the report
 * formats must be a number, so a hand-edited or damaged file is refused with its field named, instead of failing
 * later as "x.toFixed is not a function".
 */
const metricValues = z.record(z.string(), z.number());
const perQuery = z
  .object({ qids: z.array(z.string()), values: z.record(z.string(), z.array(z.number())) })
  .refine((p) => Object.values(p.values).every((v) => v.length === p.qids.length), { message: 'every per-query value list must have one value per qid' });

const setting = z.looseObject({
  kind: z.enum(['mono', 'cross', 'multi']),
  query: z.string(),
  pool: z.string(),
  numQueries: z.number().int().nonnegative(),
  poolSize: z.number().int().nonnegative(),
  metrics: metricValues,
  perQuery,
});

const group = z.object({ settings: z.number().int().nonnegative(), metrics: z.record(z.string(), z.number().nullable()) });

export const lareqaResultsSchema = z.looseObject({
  task: z.string(),
  languages: z.array(z.string()),
  poolSizes: z.record(z.string(), z.number()),
  queryCounts: z.record(z.string(), z.number()),
  settings: z.array(setting),
  summary: z.object({ mono: group, cross: group, multi: group }),
  matrix: z
    .object({ languages: z.array(z.string()), mAP: z.array(z.array(z.number())) })
    .refine((m) => m.mAP.length === m.languages.length && m.mAP.every((r) => r.length === m.languages.length), { message: 'mAP must be a languages × languages matrix' }),
  rankDistance: z.object({ perLanguage: z.record(z.string(), z.number()), macro: z.number(), max: z.number() }),
});

const miraclLanguage = z.object({
  numQueries: z.number().int().nonnegative(),
  metrics: metricValues,
  perQuery,
  runFile: z.string().optional(),
});

export const miraclResultsSchema = z.looseObject({
  languages: z.array(z.string()),
  perLanguage: z.record(z.string(), miraclLanguage),
  macro: metricValues,
});

const accuracyPair = z.object({ xx2en: z.number(), en2xx: z.number() });
export const tatoebaResultsSchema = z
  .object({
    order: z.array(z.string()),
    languages: z.record(z.string(), accuracyPair.extend({ n: z.number().int().nonnegative() }).loose()),
    average: accuracyPair.extend({ mean: z.number() }).loose(),
    perQuery: z.record(z.string(), z.object({ xx2en: z.array(z.number()), en2xx: z.array(z.number()) }).loose()),
  })
  .loose();

export const beirResultsSchema = z
  .object({
    dataset: z.string(),
    language: z.string(),
    metrics: metricValues,
    perQuery,
    numQueries: z.number().int().nonnegative(),
    k: z.number().int().positive(),
    runFile: z.string().optional(),
  })
  .loose();

const splitAverage = z.object({ items: z.array(z.string()), metrics: z.record(z.string(), z.number().nullable()) }).loose().nullable();
export const seenUnseenSchema = z
  .object({
    trainingLanguages: z.array(z.string()),
    rule: z.string(),
    groups: z.record(z.string(), z.object({ seen: splitAverage, unseen: splitAverage })),
  })
  .loose();

/** Which section each task writes (kept in step with TASK_SECTION in results.ts). */
const SECTION = { 'xquad-r': 'lareqa', 'mlqa-r': 'lareqa', miracl: 'miracl', tatoeba: 'tatoeba', beir: 'beir' } as const;

// Objects are loose (unknown fields are kept, not stripped): a file written by a newer polyret with more fields
// still reads back whole; what the report formats is typed and checked.
export const evalResultsSchema = z
  .object({
    format: z.literal('polyret-eval-results'),
    version: z.literal(1),
    name: z.string(),
    task: z.enum(['xquad-r', 'mlqa-r', 'miracl', 'tatoeba', 'beir']),
    createdAt: z.string(),
    config: z.record(z.string(), z.unknown()),
    model: z.object({ source: z.enum(['embeddings', 'model']), path: z.string(), sha256: z.record(z.string(), z.string()) }),
    data: z.object({ dir: z.string(), sha256: z.record(z.string(), z.string()) }),
    lareqa: lareqaResultsSchema.optional(),
    miracl: miraclResultsSchema.optional(),
    tatoeba: tatoebaResultsSchema.optional(),
    beir: beirResultsSchema.optional(),
    seenUnseen: seenUnseenSchema.optional(),
  })
  .loose()
  .superRefine((r, ctx) => {
    const section = SECTION[r.task];
    if (r[section] === undefined) ctx.addIssue({ code: 'custom', path: [section], message: `task '${r.task}' needs its '${section}' section` });
    if (r.miracl) {
      for (const l of r.miracl.languages) {
        if (!r.miracl.perLanguage[l]) ctx.addIssue({ code: 'custom', path: ['miracl', 'perLanguage', l], message: `language '${l}' is listed but has no results` });
      }
    }
  });
