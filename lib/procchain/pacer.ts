import type { Bytes } from '../base/units.js';

/** The clock a realtime run keeps pace with: how much the mix has played, and a call each time it moves. */
export interface PaceClock {
  /** Bytes of the project format the mix has played so far (any origin: a run counts from its start). */
  now(): Bytes;
  /** Calls `cb` whenever `now()` moves; returns the unsubscribe function. */
  onAdvance(cb: () => void): () => void;
}

/**
 * Holds each stage of a realtime run to at most `lead` bytes ahead of the clock: a pump hands on a stage's
 * output only that far, and the rest waits in the stage's own pipe (the stage blocks on it), so nothing
 * big is ever in flight inside audiofs and a stage taken out holds only that much.
 */
export class Pacer {
  private readonly base: Bytes;
  private waiters: Array<() => void> = [];
  /** The waiters the clock let go, called in a microtask; the two lists swap (a period allocates none). */
  private released: Array<() => void> = [];
  private readonly release = (): void => {
    const w = this.released;
    for (let i = 0; i < w.length; i++) {
      try {
        w[i]();
      } catch (err) {
        // As a promise's callback would: the others still go on, the error is not swallowed.
        queueMicrotask(() => { throw err; });
      }
    }
    w.length = 0;
  };
  private readonly unsubscribe: () => void;
  private disposed = false;

  constructor(private readonly clock: PaceClock, readonly lead: Bytes) {
    this.base = clock.now();
    // The waiting pumps go on after what moved the clock has finished (a microtask, as a promise's would).
    this.unsubscribe = clock.onAdvance(() => {
      if (this.waiters.length === 0 || this.released.length > 0) return;
      const emptied = this.released;
      this.released = this.waiters;
      this.waiters = emptied;
      queueMicrotask(this.release);
    });
  }

  /** Where the clock is, from the start of the run. */
  get position(): Bytes {
    return this.clock.now() - this.base;
  }

  /** How many more bytes a pump that has handed on `handed` (from the start of the run) may hand on now. */
  allowance(handed: Bytes): Bytes {
    if (this.disposed) return Infinity;
    return Math.max(0, this.position + this.lead - handed);
  }

  /**
   * Calls `cb` once, when the clock next moves (or the pacer is disposed). A callback, not a promise: every
   * held pump of every chain waits for the clock each period.
   */
  onceAdvanced(cb: () => void): void {
    this.waiters.push(cb);
  }

  /** Stops listening to the clock; waiting pumps are let go, as a move of the clock lets them go. */
  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    if (this.waiters.length === 0) return;
    this.released.push(...this.waiters.splice(0));
    queueMicrotask(this.release);
  }
}
