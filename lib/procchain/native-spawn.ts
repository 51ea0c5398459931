import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { resolve } from 'node:path';

/** The addon native/spawn: posix_spawn, and exits learnt through pidfds. */
interface SpawnAddon {
  available: boolean;
  spawn(path: string, argv: string[], env: string[], cwd: string, stdio: number[]): number;
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

/** The paths `file` names, as execvp finds it: itself if it holds a '/', else in each directory of the child's PATH. */
function candidates(file: string, env: Record<string, string>, cwd: string): string[] {
  if (file.includes('/')) return [resolve(cwd, file)];
  // An empty entry is the current directory (the child's); no PATH at all: glibc's default.
  return (env.PATH ?? '/bin:/usr/bin').split(':').map((dir) => resolve(cwd, dir || '.', file));
}

/**
 * Starts `file` with posix_spawn (nothing of this process is copied), found as Node's spawn finds it (execvp: a
 * bare name in the child's PATH; a file the kernel cannot exec is run by /bin/sh): in a session of its own,
 * every signal at its default action, `stdio` as its descriptors 0, 1, 2, ... ('ignore': /dev/null). `onExit` is
 * called once it exited, on this thread's event loop. Throws (the errno name in the message) when it cannot be
 * started.
 */
export function posixSpawn(
  order: { file: string; args: readonly string[]; env: Record<string, string>; cwd: string; stdio: ReadonlyArray<number | 'ignore'> },
  onExit: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void,
): number {
  const a = addon();
  if (!a) throw new Error('posix_spawn with pidfds is not available here');
  const env = Object.entries(order.env).map(([k, v]) => `${k}=${v}`);
  const stdio = order.stdio.map((fd) => (fd === 'ignore' ? -1 : fd));
  const argv = [order.file, ...order.args];
  let pid: number | undefined;
  let refused: Error | undefined;
  for (const path of candidates(order.file, order.env, order.cwd)) {
    try {
      pid = a.spawn(path, argv, env, order.cwd, stdio);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOEXEC') {
        // Not a binary and no '#!': execvp runs it with the shell.
        pid = a.spawn('/bin/sh', ['/bin/sh', path, ...order.args], env, order.cwd, stdio);
      } else if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') {
        // As execvp: the next directory; an EACCES is what is reported if none has it.
        if (!refused || code === 'EACCES') refused = err as Error;
        continue;
      } else {
        throw err;
      }
    }
    break;
  }
  if (pid === undefined) throw refused ?? new Error(`spawn ${order.file}: ENOENT`);
  // watchExit ends and reaps the process itself when it cannot watch it (no descriptor for its pidfd).
  a.watchExit(pid, (code, signal) => onExit({ code, signal: signal === null ? null : signalName(signal) }));
  return pid;
}
