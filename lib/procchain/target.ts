import type { Writable } from 'node:stream';
import type { Bytes } from '../base/units.js';

/** Where a pump writes: a stage's stdin, the chain's output, a tap. */
export interface Target {
  /** Takes a chunk; false when the writer should wait for whenWritable(). */
  write(chunk: Buffer): boolean;
  whenWritable(): Promise<void>;
  /** No more data will come. */
  end(): void;
}

/** A process's stdin as a Target: a dead process's stdin swallows data instead of stalling the chain. */
export class StdinTarget implements Target {
  /** Bytes handed to the process (its pipe and what waits for it here). */
  taken: Bytes = 0;

  constructor(readonly stdin: Writable) {}

  /** Set while the kernel writes this stdin (a feed): a write from JavaScript stops it first. */
  kernelWriter: (() => void) | undefined;

  write(chunk: Buffer): boolean {
    if (this.closed) return true;
    this.kernelWriter?.();
    this.taken += chunk.length;
    return this.stdin.write(chunk);
  }

  /** Bytes waiting in audiofs for the process to read them. */
  get waiting(): Bytes {
    return this.closed ? 0 : this.stdin.writableLength;
  }

  whenWritable(): Promise<void> {
    if (this.closed || !this.stdin.writableNeedDrain) return Promise.resolve();
    // One wait per drain, however many ask (a feeder rerouted by each splice asks again each time).
    this.drained ??= new Promise((resolve) => {
      const done = () => {
        this.stdin.off('drain', done).off('close', done).off('error', done);
        this.drained = undefined;
        resolve();
      };
      this.stdin.on('drain', done).on('close', done).on('error', done);
    });
    return this.drained;
  }

  private drained: Promise<void> | undefined;

  end(): void {
    if (!this.closed) this.stdin.end();
  }

  /** Its end was given (or the process is gone): what is written now is dropped. */
  get closed(): boolean {
    return this.stdin.destroyed || this.stdin.writableEnded;
  }
}

/** A target that drops everything (the output of a stage upstream of an injection point). */
export const DISCARD: Target = {
  write: () => true,
  whenWritable: () => Promise.resolve(),
  end: () => undefined,
};
