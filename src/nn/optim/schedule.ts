/** Learning-rate schedules: the factor applied to the base rate at each optimizer step (0-based). */
export type ScheduleName = 'constant' | 'linear' | 'cosine';

export interface ScheduleOptions {
  name: ScheduleName;
  warmupSteps?: number;
  totalSteps?: number;
}

/**
 * The multiplier of the base learning rate at `step`, matching Hugging Face's
 * get_constant_schedule_with_warmup / get_linear_schedule_with_warmup / get_cosine_schedule_with_warmup.
 */
export function lrFactor(step: number, opts: ScheduleOptions): number {
  const warm = opts.warmupSteps ?? 0;
  if (step < warm) return step / Math.max(1, warm);
  if (opts.name === 'constant') return 1;
  const total = opts.totalSteps;
  if (total === undefined) throw new Error(`the '${opts.name}' schedule needs totalSteps`);
  const progress = (step - warm) / Math.max(1, total - warm);
  if (opts.name === 'linear') return Math.max(0, (total - step) / Math.max(1, total - warm));
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Keeps the step count and applies the factor to a base rate: serialisable with `state()`. */
export class LrScheduler {
  private stepCount = 0;

  constructor(readonly baseLr: number, readonly opts: ScheduleOptions) {}

  /** The rate for the current step. */
  get lr(): number {
    return this.baseLr * lrFactor(this.stepCount, this.opts);
  }

  /** Advances one optimizer step and returns the new rate. */
  step(): number {
    this.stepCount += 1;
    return this.lr;
  }

  get steps(): number {
    return this.stepCount;
  }

  state(): { step: number } {
    return { step: this.stepCount };
  }

  load(s: { step: number }): void {
    if (!Number.isInteger(s.step) || s.step < 0) throw new Error(`scheduler state: step must be a non-negative integer, got ${String(s.step)}`);
    this.stepCount = s.step;
  }
}
