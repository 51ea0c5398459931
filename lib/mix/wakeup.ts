/** What the engine sleeps on while it waits for its sources: poke() wakes the one waiter (a later wait replaces an earlier one). */
export class Wakeup {
  private waiter: (() => void) | undefined;

  /** Resolves at the next poke(), or after `timeoutMs` when given. */
  wait(timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (timeoutMs === undefined) {
        this.waiter = resolve;
        return;
      }
      const t = setTimeout(resolve, Math.max(0, timeoutMs));
      this.waiter = () => { clearTimeout(t); resolve(); };
    });
  }

  /** Wakes the waiter, if any. */
  poke(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
