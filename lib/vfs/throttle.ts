/**
 * Runs a task at most once per `everyMs` however often it is asked for, and always once after the last ask: the
 * first ask after a quiet spell runs it at once, later ones within the spell run it once at its end.
 */
export class Throttle {
  private timer: NodeJS.Timeout | undefined;
  private last = -Infinity;
  private running: Promise<void> = Promise.resolve();

  /** `task` must not reject. */
  constructor(private readonly task: () => Promise<void>, private readonly everyMs: number) {}

  /** Asks for the task: now, or at the end of the spell when it ran less than `everyMs` ago. */
  ask(): void {
    if (this.timer) return;
    const wait = this.last + this.everyMs - performance.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    // Timers count whole milliseconds of a clock read once per loop turn: one more, so it is never early.
    this.timer = setTimeout(() => this.run(), Math.ceil(wait) + 1);
    this.timer.unref();
  }

  /** Runs an asked-for task now; resolves once the last run finished. */
  flush(): Promise<void> {
    if (this.timer) this.run();
    return this.running;
  }

  /** Forgets an ask not run yet. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.cancel();
    this.last = performance.now();
    this.running = this.task();
  }
}
