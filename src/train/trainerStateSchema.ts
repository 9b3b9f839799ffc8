import { z } from 'zod';

/**
 * The schema of a checkpoint's trainer.json. The checksum in the manifest proves the file is the one written, not
 * that it makes sense (it can be edited and re-summed): every field that resuming relies on is checked here, so a
 * negative step or a string where a number belongs is refused naming the file and field, before any tensor is
 * touched. The sampler state has its own checks (src/sampling/idBatchSampler.ts); the config is compared whole
 * with the run's config.
 */
const count = z.number().int().nonnegative();
const finiteOrNull = z.number().finite().nullable();

export const trainerStateSchema = z
  .object({
    format: z.literal('polyret-trainer-state'),
    version: z.literal(1),
    step: count,
    finished: z.boolean(),
    stopReason: z.enum(['completed', 'max-steps', 'early-stopping', 'non-finite-loss']).nullable(),
    scheduler: z.object({ step: count }),
    sampler: z.record(z.string(), z.unknown()),
    optimizer: z.object({
      type: z.literal('adamw'),
      lr: z.number().finite().nonnegative(),
      steps: z.record(z.string(), count),
      groups: z.array(z.object({ lr: z.number().finite().nonnegative(), weightDecay: z.number().finite(), names: z.array(z.string()) })),
    }),
    rng: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64'),
    best: z.object({ loss: z.number().finite(), step: count }).nullable(),
    badEvals: count,
    badSteps: count,
    skippedSteps: count,
    lastEvalStep: count,
    lastValidationLoss: z.number().nullable(),
    initialValidationLoss: z.number().nullable(),
    firstTrainLoss: finiteOrNull,
    lastTrainLoss: finiteOrNull,
    triplets: count,
    tokens: count,
    seconds: z.number().finite().nonnegative(),
    config: z.record(z.string(), z.unknown()),
    /** Processes of the run that wrote it (data-parallel training); absent in single-process checkpoints. */
    worldSize: z.number().int().positive().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.scheduler.step > s.step) ctx.addIssue({ code: 'custom', path: ['scheduler', 'step'], message: `scheduler step ${s.scheduler.step} is past the trainer step ${s.step}` });
    if (s.lastEvalStep > s.step) ctx.addIssue({ code: 'custom', path: ['lastEvalStep'], message: `${s.lastEvalStep} is past the trainer step ${s.step}` });
    if (s.best && s.best.step > s.step) ctx.addIssue({ code: 'custom', path: ['best', 'step'], message: `${s.best.step} is past the trainer step ${s.step}` });
  });
