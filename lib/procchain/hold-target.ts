import type { Target } from './target.js';

/**
 * Keeps chunks back (and its writer paused) while a splice is made, then hands them on in order: first what
 * the leaving stage gave last (`ahead`), then what was held.
 */
export class HoldTarget implements Target {
  private chunks: Buffer[] = [];
  private before: Buffer[] = [];
  /**
   * Where the leaving stage's last output goes once it is stopped: taken at once (it is finite: a stopped or
   * ended process writes no more), handed on ahead of everything held. So a splice does not wait for the
   * chain's reader to take what the stage's pipe held.
   */
  readonly ahead: Target = {
    write: (chunk) => {
      if (this.releasedAhead) return this.releasedAhead.write(chunk);
      this.before.push(chunk);
      return true;
    },
    whenWritable: () => (this.releasedAhead ? this.releasedAhead.whenWritable() : Promise.resolve()),
    end: () => undefined,
  };
  private ended = false;
  private released: Target | undefined;
  private releasedAhead: Target | undefined;
  private wakers: Array<() => void> = [];

  write(chunk: Buffer): boolean {
    if (this.released) return this.released.write(chunk);
    this.chunks.push(chunk);
    return false;
  }

  whenWritable(): Promise<void> {
    if (this.released) return this.released.whenWritable();
    return new Promise((r) => this.wakers.push(r));
  }

  end(): void {
    if (this.released) this.released.end();
    else this.ended = true;
  }

  /**
   * Sends what was held to `target`, and everything after it; what came `ahead` goes first, to `aheadTarget`
   * (the stage after the one that left: a process replacing it takes only what was held).
   */
  release(target: Target, aheadTarget: Target = target): void {
    this.released = target;
    this.releasedAhead = aheadTarget;
    for (const c of this.before) aheadTarget.write(c);
    for (const c of this.chunks) target.write(c);
    this.before = [];
    this.chunks = [];
    if (this.ended) target.end();
    for (const w of this.wakers.splice(0)) void target.whenWritable().then(w);
  }
}
