import type { Target } from './target.js';

/** Keeps chunks back (and its writer paused) while a splice is made, then hands them on in order. */
export class HoldTarget implements Target {
  private chunks: Buffer[] = [];
  private ended = false;
  private released: Target | undefined;
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

  /** Sends what was held to `target`, and everything after it. */
  release(target: Target): void {
    this.released = target;
    for (const c of this.chunks) target.write(c);
    this.chunks = [];
    if (this.ended) target.end();
    for (const w of this.wakers.splice(0)) void target.whenWritable().then(w);
  }
}
