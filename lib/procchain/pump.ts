import type { Readable } from 'node:stream';
import type { Target } from './target.js';

/** How a pump routes: chosen again for every chunk, so a splice takes effect at once. */
export interface PumpRoute {
  /** Every target of the next chunk (taps and the next stage). */
  targets(): Target[];
  /** The source ended (end of file or the process died). */
  onEnd(): void;
}

/** Moves a process's output to its targets, pausing the source while any target is full. */
export function pump(source: Readable, route: PumpRoute): void {
  let waiting = 0;
  source.on('data', (chunk: Buffer) => {
    const full: Target[] = [];
    for (const t of route.targets()) if (!t.write(chunk)) full.push(t);
    if (full.length === 0) return;
    source.pause();
    waiting++;
    void Promise.all(full.map((t) => t.whenWritable())).then(() => {
      if (--waiting === 0) source.resume();
    });
  });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    route.onEnd();
  };
  source.on('end', end);
  source.on('close', end);
  source.on('error', end);
}
