import { openSync } from 'node:fs';
import { setCloseOnExec } from './kernel-pump.js';

// /dev/fuse is opened without O_CLOEXEC: a child that inherits it can keep a dead mount hanging.
// The FUSE adapter registers such descriptors: marked close-on-exec, or replaced by /dev/null in every child.

const guarded = new Set<number>();
let devNull: number | undefined;
let settling: Promise<void> = Promise.resolve();

/** Holds every spawn until `finding` (the search for descriptors to guard) is done. */
export function guardWhile(finding: Promise<void>): void {
  settling = settling.then(() => finding).catch(() => undefined);
}

/** Resolves once every descriptor being looked for is guarded (spawn waits for it). */
export function guardsReady(): Promise<void> {
  return settling;
}

/**
 * Registers a descriptor that children must not inherit: marked close-on-exec where the native addon can
 * (then a spawn costs the same whatever its number), else replaced by /dev/null in every child's stdio (an
 * entry per descriptor up to the highest: execa's checks of that array cost 40 ms a spawn at fd 251).
 */
export function guardDescriptor(fd: number): void {
  try {
    if (setCloseOnExec(fd)) return;
  } catch {
    // A descriptor fcntl refuses: children get /dev/null over it.
  }
  guarded.add(fd);
}

/** The stdio array for a child: the three pipes, then /dev/null over every guarded descriptor. */
export function guardedStdio(): ['pipe', 'pipe', 'pipe', ...Array<'ignore' | number>] {
  const extra: Array<'ignore' | number> = [];
  if (guarded.size > 0) {
    devNull ??= openSync('/dev/null', 'r+');
    const top = Math.max(...guarded);
    for (let fd = 3; fd <= top; fd++) extra.push(guarded.has(fd) ? devNull : 'ignore');
  }
  return ['pipe', 'pipe', 'pipe', ...extra];
}
