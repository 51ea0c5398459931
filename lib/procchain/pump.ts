import type { Readable } from 'node:stream';
import type { Target } from './target.js';

/** How a pump routes: chosen again for every chunk, so a splice takes effect at once. */
export interface PumpRoute {
  /** Every target of the next chunk (taps and the next stage). */
  targets(): Target[];
  /** The source ended (end of file or the process died). */
  onEnd(): void;
}

/** What a pump is doing: whether a full target holds it back, and when data last came. */
export interface PumpState {
  held: boolean;
  lastData: number;
  ended: boolean;
  /** Some data came. */
  started: boolean;
}

/** Moves a process's output to its targets, pausing the source while any target is full. */
export function pump(source: Readable, route: PumpRoute): PumpState {
  const state: PumpState = { held: false, lastData: Date.now(), ended: false, started: false };
  let waiting = 0;
  source.on('data', (chunk: Buffer) => {
    state.lastData = Date.now();
    state.started = true;
    const full: Target[] = [];
    for (const t of route.targets()) if (!t.write(chunk)) full.push(t);
    if (full.length === 0) return;
    source.pause();
    state.held = true;
    waiting++;
    void Promise.all(full.map((t) => t.whenWritable())).then(() => {
      if (--waiting === 0) {
        state.held = false;
        source.resume();
      }
    });
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    state.ended = true;
    route.onEnd();
  };
  source.on('end', end);
  source.on('close', end);
  source.on('error', end);
  return state;
}
