import type { Bytes } from '../base/units.js';

/** Bytes of a stage's stderr per second that reach `err` and /log (whole lines; each line also counts LINE_COST). */
export const STDERR_RATE: Bytes = 16 * 1024;
/** What a stage may write at once before the rate applies. */
export const STDERR_BURST: Bytes = 64 * 1024;
/** What a log line costs besides its text (its time stamp, level and label). */
const LINE_COST: Bytes = 64;
/** The longest line kept whole; a longer one is cut into lines of this size. */
export const STDERR_LINE_MAX: Bytes = 4096;
/** While over its budget, a stage's stderr is read once per this many milliseconds (what came is dropped). */
export const STDERR_PAUSE_MS = 100;

/** Where a limited stderr goes. */
export interface StderrLimitEvents {
  /** Bytes that passed (whole lines, and a last partial line at the end), for `err`. */
  onBytes(chunk: Buffer): void;
  /** Each line that passed, without its newline. */
  onLine(line: string): void;
  /** Bytes dropped since the last report, reported before the next line that passes and at the end. */
  onDropped(bytes: Bytes): void;
}

/**
 * Rate-limits a stage's stderr (a token bucket of STDERR_RATE bytes a second, STDERR_BURST deep). While the
 * budget is spent, what the stage writes is read and dropped (counted) only every STDERR_PAUSE_MS, so a flooding
 * client costs the mount one read per period and is itself slowed by its full pipe (at most ~64 KiB per period).
 */
export class StderrLimit {
  private tokens: Bytes = STDERR_BURST;
  private last = Date.now();
  private partial = '';
  private dropped: Bytes = 0;
  /** Something was dropped: what comes next up to a newline is the rest of a dropped line. */
  private resync = false;

  constructor(private readonly events: StderrLimitEvents, private readonly now: () => number = Date.now) {
    this.last = now();
  }

  /** Takes one chunk; false when some of it was dropped (the budget is spent: read less often for a while). */
  take(chunk: Buffer): boolean {
    const t = this.now();
    this.tokens = Math.min(STDERR_BURST, this.tokens + ((t - this.last) / 1000) * STDERR_RATE);
    this.last = t;
    if (this.tokens <= 0) {
      // A line cut by the drop is dropped whole.
      this.drop(chunk.length + Buffer.byteLength(this.partial), chunk.length > 0 ? chunk[chunk.length - 1] !== 10 : this.partial !== '');
      return false;
    }
    if (this.resync) {
      const nl = chunk.indexOf(10);
      this.dropped += nl < 0 ? chunk.length : nl + 1;
      if (nl < 0) return true;
      chunk = chunk.subarray(nl + 1);
      this.resync = false;
    }
    this.report();
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    while (this.partial.length > STDERR_LINE_MAX) {
      lines.push(this.partial.slice(0, STDERR_LINE_MAX));
      this.partial = this.partial.slice(STDERR_LINE_MAX);
    }
    let passed = '';
    for (let i = 0; i < lines.length; i++) {
      if (this.tokens <= 0) {
        const rest = lines.slice(i).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
        this.drop(rest + Buffer.byteLength(this.partial), this.partial !== '');
        break;
      }
      for (let at = 0; at === 0 || at < lines[i].length; at += STDERR_LINE_MAX) {
        const piece = lines[i].slice(at, at + STDERR_LINE_MAX);
        this.events.onLine(piece);
        passed += `${piece}\n`;
        this.tokens -= Buffer.byteLength(piece) + 1 + LINE_COST;
      }
    }
    if (passed) this.events.onBytes(Buffer.from(passed));
    return this.tokens > 0;
  }

  /** The end of the stream: the last partial line, and what was dropped since the last report. */
  end(): void {
    if (this.partial) {
      this.events.onBytes(Buffer.from(this.partial));
      this.events.onLine(this.partial);
      this.partial = '';
    }
    this.report();
  }

  /** Counts dropped bytes; `cut` when they end inside a line (its rest is dropped too). */
  private drop(bytes: Bytes, cut: boolean): void {
    this.dropped += bytes;
    this.partial = '';
    this.resync = cut;
  }

  private report(): void {
    if (this.dropped === 0) return;
    const n = this.dropped;
    this.dropped = 0;
    this.events.onDropped(n);
  }
}
