import type { Seconds } from '../base/units.js';

/** A monotonic clock the realtime engine is paced by (injected, so tests run faster than real time). */
export interface Clock {
  /** Seconds since an arbitrary fixed origin; never goes back. */
  now(): Seconds;
  /** Resolves at (or just after) time `t` of this clock. */
  sleepUntil(t: Seconds): Promise<void>;
}

const NS_PER_SECOND = 1e9;
const MS_PER_SECOND = 1000;

/** The real clock: process.hrtime, woken by timers against absolute deadlines (no accumulating error). */
export class MonotonicClock implements Clock {
  private readonly origin = process.hrtime.bigint();

  now(): Seconds {
    return Number(process.hrtime.bigint() - this.origin) / NS_PER_SECOND;
  }

  sleepUntil(t: Seconds): Promise<void> {
    const wait = (t - this.now()) * MS_PER_SECOND;
    if (wait <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** A clock that jumps to each deadline at once: realtime logic at the speed of the CPU (tests, benchmarks). */
export class VirtualClock implements Clock {
  private t: Seconds = 0;

  now(): Seconds {
    return this.t;
  }

  sleepUntil(t: Seconds): Promise<void> {
    if (t > this.t) this.t = t;
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Moves time forward by hand (to simulate a stall). */
  advance(by: Seconds): void {
    this.t += by;
  }
}
