import { createRequire } from 'node:module';
import { constants } from 'node:os';

/** The addon native/spawn: posix_spawn, and exits learnt through pidfds. */
interface SpawnAddon {
  available: boolean;
  spawn(file: string, args: string[], env: string[], cwd: string, stdio: number[]): number;
  watchExit(pid: number, onExit: (code: number | null, signal: number | null) => void): void;
}

let loaded: SpawnAddon | null | undefined;

/** The addon where it was built and can run here (Linux 5.3+, glibc 2.29+), else undefined. */
function addon(): SpawnAddon | undefined {
  if (loaded === undefined) {
    try {
      const a = createRequire(import.meta.url)('../../../native/spawn/build/Release/spawn.node') as SpawnAddon;
      loaded = a.available ? a : null;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** Whether processes can be started with posix_spawn here. */
export function posixSpawnAvailable(): boolean {
  return addon() !== undefined;
}

/** A signal's name from its number (9: SIGKILL). */
function signalName(n: number): NodeJS.Signals {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return (found?.[0] ?? `SIG${n}`) as NodeJS.Signals;
}

/**
 * Starts `file` with posix_spawn (nothing of this process is copied): in a session of its own, every signal at
 * its default action, `stdio` as its descriptors 0, 1, 2, ... ('ignore': /dev/null). `onExit` is called once it
 * exited, on this thread's event loop. Throws (the errno name in the message) when it cannot be started.
 */
export function posixSpawn(
  order: { file: string; args: readonly string[]; env: Record<string, string>; cwd: string; stdio: ReadonlyArray<number | 'ignore'> },
  onExit: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void,
): number {
  const a = addon();
  if (!a) throw new Error('posix_spawn with pidfds is not available here');
  const env = Object.entries(order.env).map(([k, v]) => `${k}=${v}`);
  const pid = a.spawn(order.file, [...order.args], env, order.cwd, order.stdio.map((fd) => (fd === 'ignore' ? -1 : fd)));
  try {
    a.watchExit(pid, (code, signal) => onExit({ code, signal: signal === null ? null : signalName(signal) }));
  } catch (err) {
    // Out of descriptors for its pidfd: a process nobody would learn the end of is not left running.
    process.kill(-pid, 'SIGKILL');
    throw err;
  }
  return pid;
}
