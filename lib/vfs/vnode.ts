import type { Bytes } from '../base/units.js';
import type { Caller } from '../studio/caller.js';
import type { Role } from '../studio/roles.js';
import type { InputStore } from '../procchain/input-store.js';

/** How a file was opened, decoded from open(2) flags. */
export interface OpenMode {
  write: boolean;
  read: boolean;
  nonblocking: boolean;
  /** O_NOFOLLOW: cp, tar and rsync open so; cat, players and editors do not. */
  nofollow: boolean;
  append: boolean;
  truncate: boolean;
  /** Who opened it and in which role (default: the owner). */
  caller?: Caller;
  role?: Role;
}

/**
 * An open file: every call answers once; read may wait (a live stream), and so may write (a full live
 * input): when `signal` fires (the caller got a signal), such a wait ends with EINTR, taking nothing.
 */
export interface FileHandle {
  /** Up to `length` bytes at `position`; an empty buffer is end of file. */
  read(position: Bytes, length: Bytes, signal?: AbortSignal): Promise<Buffer>;
  /** read(), into `target` (a FUSE reply's buffer, its length the request's): the bytes given. For streams, saving a copy. */
  readInto?(position: Bytes, target: Buffer, signal?: AbortSignal): Promise<Bytes>;
  /** Writes and returns how many bytes were taken. */
  write(position: Bytes, data: Buffer, signal?: AbortSignal): Promise<Bytes>;
  /** close(2): whatever is pending is applied; an error here fails the close. */
  flush(): Promise<void>;
  /** The last close: the handle goes. */
  release(): Promise<void>;
  /** ftruncate(2). */
  truncate?(size: Bytes): Promise<void>;
  /** The size fstat reports for this open file (default: the node's size now). */
  size?(): Bytes;
}

/** A file of the tree. */
export interface FileNode {
  readonly kind: 'file';
  /** Permission bits. */
  mode: number;
  /** The configured group may write it (ctl and mixer files). */
  readonly steerable?: boolean;
  /** The status change time, when it differs from mtime (/log grows without its ctime changing: tar compares it). */
  readonly ctime?: Date;
  /** The size stat reports (0 for live streams). */
  size(): Bytes;
  /** What it takes where it is kept, when less than its size (a sparse `in`): stat's blocks, what `du` counts. */
  stored?(): Bytes;
  /**
   * Its size or times change by themselves without notice, not only when the project changes (/log, /status,
   * /channels, /config): the kernel asks for its attributes at every call instead of keeping them
   * (kernel-cache.ts).
   */
  readonly live?: boolean;
  /**
   * Its size changes with nearly every change of the project, and only then (/ctl): the kernel keeps its
   * attributes, and they are taken back at each change without making its text again to compare.
   */
  readonly versioned?: boolean;
  /**
   * A file whose size changes by itself but says when (a stage's err): `onChange` is called after each change
   * until the returned function is called, and the kernel keeps its attributes until told (kernel-cache.ts).
   */
  watch?(onChange: () => void): () => void;
  mtime: Date;
  open(mode: OpenMode): Promise<FileHandle>;
  /** truncate(2) by path. */
  truncate(size: Bytes): Promise<void>;
  /** unlink(2): clears what the file stores (tar unlinks before it creates again). */
  unlink(): Promise<void>;
  /**
   * rename(2) of a file onto this one: its whole content as one validated write (invalid: EINVAL and the
   * old content stays). True when `store` was adopted as it is (a large `in`); false when it was only read.
   */
  replace?(store: InputStore): Promise<boolean>;
}

/** A directory of the tree. */
export interface DirNode {
  readonly kind: 'dir';
  mode: number;
  mtime: Date;
  /** Entry names in order (readdir of / lists ctl first). */
  entries(): string[];
  lookup(name: string): VNode | undefined;
}

/** Anything in the tree. */
export type VNode = FileNode | DirNode;

const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;
const O_NOFOLLOW = 0o400000;

/** Decodes Linux open(2) flags. */
export function openMode(flags: number): OpenMode {
  const acc = flags & O_ACCMODE;
  return {
    read: acc !== O_WRONLY,
    write: acc === O_WRONLY || acc === O_RDWR,
    nonblocking: (flags & O_NONBLOCK) !== 0,
    nofollow: (flags & O_NOFOLLOW) !== 0,
    append: (flags & O_APPEND) !== 0,
    truncate: (flags & O_TRUNC) !== 0,
  };
}
