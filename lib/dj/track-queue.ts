// The queue of track paths that arrive on stdin, one a line, and whether more can come.

/** Paths waiting to be played; take() waits for one, or gives undefined once the input is closed and the queue empty. */
export class TrackQueue {
  private readonly paths: string[] = [];
  private waiters: Array<() => void> = [];
  private closedFlag = false;
  /** Hears the command lines among the paths (`skip`). */
  onCommand: ((verb: 'skip') => void) | undefined;

  /** Adds a path (blank lines are ignored; the line `skip` is a command, not a path). */
  push(line: string): void {
    const path = line.trim();
    if (!path) return;
    if (path === 'skip') {
      this.onCommand?.('skip');
      return;
    }
    this.paths.push(path);
    this.wake();
  }

  /** Marks the input closed: no more paths will come. */
  close(): void {
    this.closedFlag = true;
    this.wake();
  }

  /** Whether the input has been closed. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Whether a take() is blocked right now for lack of paths (a take that finds one never blocks). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Paths queued and not taken yet. */
  get length(): number {
    return this.paths.length;
  }

  /** The next path, waiting for one; undefined when the input is closed and nothing is left. */
  async take(): Promise<string | undefined> {
    while (this.paths.length === 0 && !this.closedFlag) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.paths.shift();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
