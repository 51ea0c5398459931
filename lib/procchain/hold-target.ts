import type { Bytes } from '../base/units.js';
import type { Target } from './target.js';

/** What a leaving stage's last output may hold in memory before it waits for the release (a 1 MiB pipe's worth, and more). */
const AHEAD_LIMIT: Bytes = 4 * 1024 * 1024;

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
   * chain's reader to take what the stage's pipe held. A process that goes on writing (one being ended gets
   * SIGCONT with its SIGTERM) is held back past AHEAD_LIMIT, until the release.
   */
  readonly ahead: Target = {
    write: (chunk) => {
      if (this.releasedAhead) return this.releasedAhead.write(chunk);
      this.before.push(chunk);
      this.beforeBytes += chunk.length;
      return this.beforeBytes < AHEAD_LIMIT;
    },
    whenWritable: () => {
      if (this.releasedAhead) return this.releasedAhead.whenWritable();
      if (this.beforeBytes < AHEAD_LIMIT) return Promise.resolve();
      return new Promise((r) => this.aheadWakers.push(r));
    },
    end: () => undefined,
  };
  private beforeBytes = 0;
  private aheadWakers: Array<() => void> = [];
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
    this.beforeBytes = 0;
    this.chunks = [];
    for (const w of this.aheadWakers.splice(0)) void aheadTarget.whenWritable().then(w);
    if (this.ended) target.end();
    for (const w of this.wakers.splice(0)) void target.whenWritable().then(w);
  }
}
