import type { Bytes } from '../base/units.js';

/** Keeps the last `capacity` bytes written (a stage's recent stderr). */
export class ByteRing {
  private chunks: Buffer[] = [];
  private size: Bytes = 0;
  private readonly watchers = new Set<() => void>();

  constructor(private readonly capacity: Bytes) {}

  /** Appends, dropping the oldest bytes past the capacity. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.capacity) this.size -= this.chunks.shift()!.length;
    if (this.size > this.capacity) {
      const cut = this.size - this.capacity;
      this.chunks[0] = this.chunks[0].subarray(cut);
      this.size -= cut;
    }
    this.changed();
  }

  /** Everything kept, oldest first. */
  contents(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** The last `lines` lines of the contents, as text. */
  tail(lines: number): string {
    const text = this.contents().toString('utf8').replace(/\n$/, '');
    return text.split('\n').slice(-lines).join('\n');
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
    this.changed();
  }

  /** Calls `onChange` after each push and clear, until the returned function is called. */
  watch(onChange: () => void): () => void {
    this.watchers.add(onChange);
    return () => this.watchers.delete(onChange);
  }

  private changed(): void {
    for (const w of this.watchers) w();
  }
}
