import { whenGroupStopped } from './group-stopped.js';
import type { PumpState } from './pump.js';
import type { StageProcess } from './stage-process.js';

/** How long a splice lets a stage finish what it was given, and how quiet its output must be to count as done. */
export interface RestOptions {
  /** Output quiet (and never held back) for this long: the stage has nothing more to say. */
  quietMs: number;
  /** At most this long; then it is stopped with what it holds. */
  settleMs: number;
  /** At most this long for everything it wrote before it stopped to be handed on. */
  drainMs: number;
}

/** What became of a stage stopped by stopAtRest. */
export interface Rest {
  /** Its output went quiet before it was stopped (else it was stopped holding input). */
  settled: boolean;
  /** Every thread of its process group is stopped. */
  stopped: boolean;
  /** Everything it wrote before it stopped has been handed on. */
  drained: boolean;
}

/**
 * Stops a stage whose input is held back upstream, at rest: lets it finish what it was given (bounded: it has
 * read its stdin, where the system can tell, and its output was quiet for quietMs since),
 * SIGSTOPs its group, waits until it is really stopped (then calls `whenStopped`, which may route what
 * it wrote last somewhere that takes it at once), then until its pump has handed on every byte it wrote.
 * Its output keeps flowing to the next stage throughout, so nothing it gave is lost and nothing held
 * upstream can overtake it.
 */
export async function stopAtRest(proc: StageProcess, output: PumpState, options: RestOptions, whenStopped?: () => void): Promise<Rest> {
  const settled = await settle(proc, output, options);
  proc.stop();
  const stopped = await whenGroupStopped(proc.pid, options.drainMs);
  whenStopped?.();
  const drained = await output.drained(options.drainMs);
  return { settled, stopped, drained };
}

/**
 * How long a stage that leaves input unread must go on not reading it to count as one that does not read
 * (a generator with a stdin it ignores), rather than one the machine has not scheduled yet (ms).
 */
export const NOT_READING_MS = 500;

async function settle(proc: StageProcess, output: PumpState, options: RestOptions): Promise<boolean> {
  const start = Date.now();
  const deadline = start + options.settleMs;
  // What it was given just before the hold may be in its stdin still, or read and not yet written: it is at
  // rest once it has read everything (or has not read for NOT_READING_MS) and written nothing for quietMs,
  // counted from the hold at least.
  let unread = proc.stdinUnread();
  let unreadSince = start;
  while (Date.now() < deadline) {
    if (output.ended || proc.state === 'exited') return true;
    const now = Date.now();
    const left = proc.stdinUnread();
    if (left !== unread) {
      unread = left;
      unreadSince = now;
    }
    const quietSince = Math.max(output.lastData, output.held ? now : output.lastHeld, unreadSince);
    const reading = unread !== undefined && unread > 0 && now - unreadSince < NOT_READING_MS;
    if (proc.stdin.writableLength === 0 && !output.held && !reading && now - quietSince >= options.quietMs) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
