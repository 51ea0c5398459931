import { readFile, readlink } from 'node:fs/promises';
import { AudiofsError } from '../base/errors.js';
import type { Caller } from './vnode.js';


/**
 * What a caller may do: the owner (and root) everything; the configured group what the group bits allow plus
 * the transport and the mixers; anyone else, with allow_other, only read what the other bits allow.
 */
export type Role = 'owner' | 'group' | 'other';


/** Who owns the mount and which group may steer it. */
export interface AccessOptions {
  ownerUid: number;
  ownerGid: number;
  /** The group allowed to control the transport and the mixers; null for none. */
  group: number | null;
  /** A process's supplementary groups (default: read from /proc). */
  groupsOf?: (pid: number) => Promise<number[]>;
}

/** The /ctl verbs the group may use: the transport, never a program, an export or a setting of the machine. */
export const GROUP_ROOT_VERBS: ReadonlySet<string> = new Set(['play', 'stop', 'pause', 'seek', 'loop', 'steps', 'step']);

/** The NAME/ctl verbs the group may use. */
export const GROUP_CHAIN_VERBS: ReadonlySet<string> = new Set(['play', 'stop', 'restart']);

/** Decides each request by its caller (FUSE gives uid, gid and pid); mode bits mean what they say. */
export class Access {
  constructor(readonly options: AccessOptions) {}

  /** The gid files show: the steering group's, or the owner's. */
  get fileGid(): number {
    return this.options.group ?? this.options.ownerGid;
  }

  /** The caller's role. */
  async roleOf(caller: Caller): Promise<Role> {
    if (caller.uid === this.options.ownerUid || caller.uid === 0) return 'owner';
    const group = this.options.group;
    if (group === null) return 'other';
    if (caller.gid === group) return 'group';
    const groups = await (this.options.groupsOf ?? groupsFromProc)(caller.pid).catch(() => [] as number[]);
    return groups.includes(group) ? 'group' : 'other';
  }

  /** Opening a file: reading needs the role's read bit; writing is the owner's, or the group's on a file it steers. */
  checkOpen(role: Role, file: { mode: number; steerable?: boolean }, want: { read: boolean; write: boolean }, path: string): void {
    if (role === 'owner') return;
    const bits = role === 'group' ? (file.mode >> 3) & 7 : file.mode & 7;
    if (want.read && !(bits & 4)) throw new AudiofsError('EACCES', 'open', path, `only the owner may read this (mode ${file.mode.toString(8)})`);
    if (want.write && !(role === 'group' && file.steerable)) {
      throw new AudiofsError('EACCES', 'open', path, role === 'group'
        ? 'the group may write only ctl and mixer files (expected the owner for anything else)'
        : 'only the owner may write here');
    }
  }

  /** A change of the tree (mkdir, rm, create, rename, chmod, truncate...): the owner's alone. */
  checkChange(role: Role, op: string, path: string): void {
    if (role === 'owner') return;
    throw new AudiofsError(op === 'chmod' || op === 'chown' ? 'EPERM' : 'EACCES', op, path, 'only the owner may change the project');
  }

  /** A ctl line's verb, for a caller who is not the owner. */
}

/** A ctl line's verb, for a caller who is not the owner: the group may steer the transport, nobody else anything. */
export function checkVerb(role: Role, verb: string, scope: 'root' | 'chain', where: string): void {
  if (role === 'owner') return;
  const allowed = scope === 'root' ? GROUP_ROOT_VERBS : GROUP_CHAIN_VERBS;
  if (role === 'group' && allowed.has(verb)) return;
  const what = verb === 'chain' ? 'making a chain' : `'${verb}'`;
  throw new AudiofsError('EACCES', 'write', where, `${what} is the owner's (${role === 'group' ? `the group may use ${[...allowed].join(', ')}` : 'only the owner may write here'})`);
}

/** A process's supplementary groups, from /proc/PID/status. */
export async function groupsFromProc(pid: number): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('Groups:'));
  return (line?.slice('Groups:'.length).trim().split(/\s+/) ?? []).filter((g) => g !== '').map(Number);
}

/** A process's working directory (relative export paths resolve against the writer's). */
export async function cwdOf(pid: number): Promise<string | undefined> {
  if (pid <= 0) return undefined;
  return readlink(`/proc/${pid}/cwd`).catch(() => undefined);
}
