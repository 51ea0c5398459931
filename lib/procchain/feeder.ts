import type { Bytes } from '../base/units.js';
import type { InputStore } from './input-store.js';
import type { Target } from './target.js';

/** Options of a Feeder. */
export interface FeederOptions {
  /** Where the next chunk goes (chosen per chunk: a splice or injection takes effect at once). */
  target: () => Target;
  /** Whether someone still has the `in` file open for writing (then the feeder waits for more). */
  writersOpen: () => boolean;
  /** The first byte to feed. */
  from?: Bytes;
  /** Feed up to here only (a region); the whole store when absent. */
  to?: Bytes;
  chunk?: Bytes;
  /** Called once when everything has been fed and the target ended. */
  onDone?: () => void;
}

/** Feeds a stored input to a process's stdin progressively, with backpressure, following data written later. */
export class Feeder {
  private offset: Bytes;
  private wake: (() => void) | undefined;
  private cancelled = false;
  private running = false;

  constructor(private readonly store: InputStore, private readonly options: FeederOptions) {
    this.offset = options.from ?? 0;
  }

  /** Bytes fed so far, from the start of the store. */
  get position(): Bytes {
    return this.offset;
  }

  /** Starts feeding (once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  /** More data was written, or the writer closed: look again. */
  poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Stops without ending the target. */
  cancel(): void {
    this.cancelled = true;
    this.poke();
  }

  private async loop(): Promise<void> {
    const chunk = this.options.chunk ?? 64 * 1024;
    while (!this.cancelled) {
      const end = Math.min(this.store.size, this.options.to ?? Infinity);
      if (this.offset < end) {
        const data = await this.store.read(this.offset, Math.min(chunk, end - this.offset));
        if (this.cancelled) return;
        if (data.length === 0) continue;
        this.offset += data.length;
        const target = this.options.target();
        if (!target.write(data)) await target.whenWritable();
        continue;
      }
      const more = this.options.to === undefined || this.offset < this.options.to;
      if (more && this.options.writersOpen()) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      this.options.target().end();
      this.options.onDone?.();
      return;
    }
  }
}
