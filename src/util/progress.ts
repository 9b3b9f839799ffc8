/**
 * A progress bar for long work: count, rate, ETA and a free-form status (loss, lr, ...).
 * On a terminal it redraws one line; elsewhere (CI, pipes) it prints a line at most every few seconds
 * so logs stay readable.
 */
export interface ProgressOptions {
  total?: number;
  label?: string;
  unit?: string;
  stream?: NodeJS.WriteStream;
  /** Minimum milliseconds between non-TTY lines. */
  logEveryMs?: number;
  enabled?: boolean;
}

function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(r).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function fmtRate(rate: number): string {
  if (rate >= 100) return rate.toFixed(0);
  if (rate >= 10) return rate.toFixed(1);
  return rate.toFixed(2);
}

export class Progress {
  private readonly start = Date.now();
  private done = 0;
  private lastDraw = 0;
  private status = '';
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly enabled: boolean;

  constructor(private readonly opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.enabled = opts.enabled ?? process.env.POLYRET_NO_PROGRESS === undefined;
  }

  /** Advances by `n` units and optionally replaces the status text. */
  tick(n = 1, status?: string): void {
    this.done += n;
    if (status !== undefined) this.status = status;
    this.draw(false);
  }

  setStatus(status: string): void {
    this.status = status;
    this.draw(false);
  }

  get count(): number {
    return this.done;
  }

  /** Units per second so far. */
  rate(): number {
    const sec = (Date.now() - this.start) / 1000;
    return sec > 0 ? this.done / sec : 0;
  }

  line(): string {
    const { total, label = '', unit = 'it' } = this.opts;
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = this.rate();
    const parts: string[] = [];
    if (label) parts.push(label);
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, this.done / total);
      const width = 24;
      const fill = Math.round(frac * width);
      parts.push(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${this.done}/${total} ${(frac * 100).toFixed(0)}%`);
      const eta = rate > 0 ? (total - this.done) / rate : Number.NaN;
      parts.push(`${fmtRate(rate)} ${unit}/s`, `${fmtDuration(elapsed)}<${fmtDuration(eta)}`);
    } else {
      parts.push(`${this.done} ${unit}`, `${fmtRate(rate)} ${unit}/s`, fmtDuration(elapsed));
    }
    if (this.status) parts.push(this.status);
    return parts.join(' ');
  }

  private draw(final: boolean): void {
    if (!this.enabled) return;
    const now = Date.now();
    const every = this.tty ? 100 : (this.opts.logEveryMs ?? 5000);
    if (!final && now - this.lastDraw < every) return;
    this.lastDraw = now;
    if (this.tty) this.stream.write(`\r\x1b[2K${this.line()}`);
    else this.stream.write(`${this.line()}\n`);
  }

  /** Draws the final state and ends the line. */
  finish(status?: string): void {
    if (status !== undefined) this.status = status;
    this.draw(true);
    if (this.enabled && this.tty) this.stream.write('\n');
  }
}
