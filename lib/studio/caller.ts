import { readFile, readlink } from 'node:fs/promises';
import type { Role } from './roles.js';

/** Who made a request: the calling process and its ids, as the kernel gave them for that request. */
export interface Caller {
  uid: number;
  gid: number;
  /** The calling thread (FUSE gives the thread's id; /proc/PID works with it). */
  pid: number;
}

/** How a command came: written anew or appended, and by whom. */
export interface CommandContext {
  /** The command file was written anew (O_TRUNC, or created again after an unlink, as tar and editors do). */
  rewrite: boolean;
  /** The writer's role (default: the owner). */
  role?: Role;
  /** The process that wrote it (its working directory resolves relative paths). */
  caller?: Caller;
}

/** A process's working directory (relative export paths resolve against the writer's). */
export async function cwdOf(pid: number): Promise<string | undefined> {
  if (pid <= 0) return undefined;
  return readlink(`/proc/${pid}/cwd`).catch(() => undefined);
}

/** A process's command name (/proc/PID/comm: the program's file name, at most 15 bytes). */
export async function commandOf(pid: number): Promise<string | undefined> {
  if (pid <= 0) return undefined;
  return readFile(`/proc/${pid}/comm`, 'utf8').then((c) => c.trim(), () => undefined);
}
