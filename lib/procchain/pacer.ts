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
  private readonly unsubscribe: () => void;
  private disposed = false;

  constructor(private readonly clock: PaceClock, readonly lead: Bytes) {
    this.base = clock.now();
    this.unsubscribe = clock.onAdvance(() => {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
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

  /** Resolves when the clock next moves. */
  whenAdvanced(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  /** Stops listening to the clock; waiting pumps are let go. */
  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    for (const f of this.waiters.splice(0)) f();
  }
}
