import { setImmediate as nextLoopTurn } from 'node:timers/promises';

// A fork holds the thread that calls it while the kernel copies the mount's page tables: 2-3 ms a stage at the
// mount's size, measured. A `play` forked every chain's stages back to back, in one run of the thread that
// answers FUSE requests: 50 chains of 3 stages held every request (ls, cat status) for 0.42 s. Stages now
// start in turns of the event loop, one a turn, and what waits (requests, pipes, the mix's clock) is served
// between two; the fork itself runs on the spawning thread (spawner.ts) where it can. A chain's stages are
// started the last first (ChainRun.begin): a stage's output always finds the stage after it running.

let last: Promise<unknown> = Promise.resolve();

/** Resolves when the caller may fork: after the callers before it, each on a turn of the event loop of its own. */
export function spawnTurn(): Promise<void> {
  const turn = last.then(() => nextLoopTurn()).then(() => undefined);
  last = turn;
  return turn;
}
