import { readFile } from 'node:fs/promises';
import { AudiofsError } from '../base/errors.js';
import type { Caller } from '../studio/caller.js';
import type { Role } from '../studio/roles.js';

/** Who owns the mount and which group may steer it. */
export interface AccessOptions {
  ownerUid: number;
  ownerGid: number;
  /** The group allowed to control the transport and the mixers; null for none. */
  group: number | null;
  /** A process's supplementary groups (default: read from /proc). */
  groupsOf?: (pid: number) => Promise<number[]>;
}

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
}

/** A process's supplementary groups, from /proc/PID/status. */
export async function groupsFromProc(pid: number): Promise<number[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('Groups:'));
  return (line?.slice('Groups:'.length).trim().split(/\s+/) ?? []).filter((g) => g !== '').map(Number);
}
