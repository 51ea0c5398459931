import type { Readable } from 'node:stream';
import type { Bytes } from '../base/units.js';
import type { Pacer } from './pacer.js';
import type { Target } from './target.js';

/** How a pump routes: chosen again for every chunk, so a splice takes effect at once. */
export interface PumpRoute {
  /** Every target of the next chunk (taps and the next stage). */
  targets(): Target[];
  /** The source ended (end of file or the process died). */
  onEnd(): void;
}

/** Options of a pump. */
export interface PumpOptions {
  /** Realtime: hand on no further ahead of the clock than the pacer allows. */
  pacer?: Pacer;
  /** Where this source's output starts in the run (a stage restarted mid-run continues its predecessor's). */
  startAt?: Bytes;
}

/** What a pump is doing: whether it is held back (a full target, or the clock), when data last came, what it has moved. */
export interface PumpState {
  held: boolean;
  lastData: number;
  /** When it was last held back (now while it is). */
  lastHeld: number;
  ended: boolean;
  /** Some data came. */
  started: boolean;
  /** Bytes read from the source so far. */
  bytes: Bytes;
  /** Bytes handed on so far, counted from the start of the run (startAt). */
  handed: Bytes;
  /** Bytes read and not yet handed on (waiting for the clock), at most one read's worth. */
  readonly pending: Bytes;
  /**
   * Resolves true once every byte the source had written has been handed on (false after `limitMs`): for a
   * source that writes no more (a SIGSTOPped process), what it wrote before it stopped is then in the next
   * target, none of it left behind.
   */
  drained(limitMs: number): Promise<boolean>;
  /** The route changed (a splice): stop waiting for a full target that is no longer one of its targets. */
  reroute(): void;
}

/**
 * Moves a process's output to its targets, pausing the source while any target is full, or (realtime) while
 * what it has handed on is as far ahead of the clock as the pacer allows: the rest of a chunk waits here.
 */
export function pump(source: Readable, route: PumpRoute, options: PumpOptions = {}): PumpState {
  const pacer = options.pacer;
  const unheld: Array<() => void> = [];
  /** What is left of the last chunk, the full targets it waits for, and which wait is the current one. */
  let rest: Buffer | undefined;
  let full: Target[] = [];
  let wait = 0;
  const state: PumpState = {
    held: false,
    lastData: Date.now(),
    lastHeld: 0,
    ended: false,
    started: false,
    bytes: 0,
    handed: options.startAt ?? 0,
    get pending() { return rest?.length ?? 0; },
    reroute: () => {
      if (full.length === 0) return;
      const now = route.targets();
      const still = full.filter((t) => now.includes(t));
      if (still.length === full.length) return;
      if (still.length === 0) proceed();
      else waitFor(still);
    },
    drained: (limitMs) => drained(source, state, Date.now() + limitMs, (ms) => new Promise((r) => {
      unheld.push(r);
      setTimeout(r, ms);
    })),
  };

  /** Hands on what the clock allows of `chunk`; true when all of it went and no target is full. */
  const offer = (chunk: Buffer): boolean => {
    const n = pacer ? Math.min(chunk.length, pacer.allowance(state.handed)) : chunk.length;
    const now = n === chunk.length ? chunk : chunk.subarray(0, n);
    const left = n === chunk.length ? undefined : chunk.subarray(n);
    // Every chunk of every stage comes here: a list of full targets is made only when one is full.
    let fullNow: Target[] | undefined;
    if (n > 0) for (const t of route.targets()) if (!t.write(now)) (fullNow ??= []).push(t);
    state.handed += n;
    rest = left;
    if (!left && !fullNow) return true;
    hold();
    if (fullNow) waitFor(fullNow);
    else {
      const mine = ++wait;
      pacer!.onceAdvanced(() => { if (mine === wait) proceed(); });
    }
    return false;
  };
  const hold = () => {
    if (state.held) return;
    state.held = true;
    source.pause();
  };
  const waitFor = (targets: Target[]) => {
    full = targets;
    const mine = ++wait;
    const writable: Promise<unknown> = targets.length === 1 ? targets[0].whenWritable() : Promise.all(targets.map((t) => t.whenWritable()));
    void writable.then(() => { if (mine === wait) proceed(); });
  };
  /** The wait is over: hand on what is left, then take more from the source. */
  const proceed = () => {
    full = [];
    wait++;
    if (rest && !offer(rest)) return;
    state.held = false;
    state.lastHeld = Date.now();
    source.resume();
    for (const w of unheld.splice(0)) w();
  };

  source.on('data', (chunk: Buffer) => {
    state.lastData = Date.now();
    state.started = true;
    state.bytes += chunk.length;
    if (rest) {
      // Read before the pause took effect: it queues behind what waits.
      rest = Buffer.concat([rest, chunk]);
      return;
    }
    offer(chunk);
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    const finish = () => {
      state.ended = true;
      route.onEnd();
      for (const w of unheld.splice(0)) w();
    };
    if (!rest) return finish();
    // What waits for the clock still goes on before the end.
    const flush = async () => {
      while (rest) {
        if (!offer(rest)) await new Promise<void>((r) => unheld.push(r));
      }
      finish();
    };
    void flush();
  };
  source.on('end', end);
  source.on('close', end);
  source.on('error', end);
  return state;
}

/**
 * Waits until nothing of the source is left to hand on: not held, nothing in the stream's buffer, and one
 * turn of the event loop with a poll for I/O in it (libuv reads every ready descriptor then) brought nothing.
 */
async function drained(source: Readable, state: PumpState, deadline: number, whenUnheld: (ms: number) => Promise<void>): Promise<boolean> {
  for (;;) {
    if ((state.ended || source.destroyed) && state.pending === 0) return true;
    if (Date.now() >= deadline) return false;
    if (state.held) {
      await whenUnheld(deadline - Date.now());
      continue;
    }
    const before = state.bytes;
    await ioTurn();
    if (!state.held && state.bytes === before && source.readableLength === 0) return true;
  }
}

/** Two setImmediate()s: the event loop's poll phase (where libuv reads ready descriptors) runs between them. */
function ioTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
