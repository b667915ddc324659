// Training progress for people: a one-line bar redrawn in place on a TTY (steps, SPS, mean return, ETA),
// plain lines every few seconds otherwise (logs, CI, browsers' consoles).
import { log } from './log.js';

export interface ProgressSnapshot {
  steps: number;
  totalSteps: number;
  startSteps: number;
  elapsedMs: number;
  meanReturn: number | undefined;
  updates: number;
}

interface Sink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class ProgressReporter {
  private lastLine = -Infinity;
  private readonly sink: Sink | undefined;
  private readonly tty: boolean;

  constructor(sink?: Sink, private readonly intervalMs = 2000) {
    const stdout = (globalThis as { process?: { stdout?: Sink } }).process?.stdout;
    this.sink = sink ?? stdout;
    this.tty = this.sink?.isTTY === true;
  }

  update(s: ProgressSnapshot, now: number, force = false): void {
    if (!this.tty && !force && now - this.lastLine < this.intervalMs) return;
    if (this.tty && !force && now - this.lastLine < 100) return;
    this.lastLine = now;
    const text = format(s, this.tty ? this.sink?.columns ?? 80 : 0);
    if (this.tty) this.sink!.write(`\r${text}\x1b[K`);
    else this.print(text);
  }

  done(s: ProgressSnapshot, now: number): void {
    this.update(s, now, true);
    if (this.tty) this.sink!.write('\n');
  }

  /** A line of its own (on a TTY, above the bar). */
  note(text: string): void {
    this.print(this.tty ? `\r${text}\x1b[K` : text);
  }

  private print(text: string): void {
    if (this.sink) this.sink.write(`${text}\n`);
    else log.info(text);
  }
}

export function format(s: ProgressSnapshot, columns: number): string {
  const done = s.steps - s.startSteps;
  const todo = Math.max(1, s.totalSteps - s.startSteps);
  const fraction = Math.min(1, done / todo);
  const sps = s.elapsedMs > 0 ? (done * 1000) / s.elapsedMs : 0;
  const eta = sps > 0 ? Math.max(0, s.totalSteps - s.steps) / sps : Infinity;
  const stats = [
    `${s.steps}/${s.totalSteps} steps`,
    `${Math.round(sps)} SPS`,
    `return ${s.meanReturn === undefined ? '-' : s.meanReturn.toFixed(1)}`,
    `ETA ${Number.isFinite(eta) ? `${Math.ceil(eta)}s` : '-'}`,
  ].join(' | ');
  const percent = `${Math.floor(fraction * 100).toString().padStart(3)}%`;
  if (columns <= 0) return `webppo: ${percent} ${stats}`;
  const width = Math.max(10, Math.min(30, columns - stats.length - 10));
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent} ${stats}`;
}
