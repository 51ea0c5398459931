// The one module that imports fuse-native: it decodes each operation, calls the tree, maps the result
// or the typed error to an errno, and answers exactly once.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type FuseType from 'fuse-native';
import { AudiofsError, CtlError, errnoNameOf, type ErrnoName } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { guardDescriptor, guardWhile } from '../procchain/spawn-guard.js';
import { Access } from './access.js';
import { KERNEL_CACHE_S, KernelCache, type Attrs } from './kernel-cache.js';
import type { Tree } from './tree.js';
import { commandOf, type Caller } from '../studio/caller.js';
import { openMode, type DirNode, type FileHandle, type VNode } from './vnode.js';

const require = createRequire(import.meta.url);
const Fuse = require('fuse-native') as typeof FuseType;

/** Operations that only read: never held for a save, whatever changed meanwhile. */
const READS: ReadonlySet<string> = new Set(['read', 'access', 'getxattr', 'listxattr', 'release']);

/**
 * Operations answered only once the kernel was told what their change changed (kernel-cache.ts): those during
 * which the kernel holds no directory's lock. Taking back a name takes its directory's lock in the kernel, so
 * mkdir, rmdir, unlink, create, rename and a chmod of a directory (which hold one) are answered at once, and
 * what they changed besides their own entry reaches the kernel just after.
 */
const TELLS_FIRST: ReadonlySet<string> = new Set(['write', 'flush', 'release', 'open', 'truncate', 'ftruncate', 'read']);

/** How often a change made without a request (the transport, a song step) is looked for (ms). */
const CHANGE_POLL_MS = 50;

const S_IFDIR = 0o040000;
const R_OK = 4;
const W_OK = 2;
const X_OK = 1;
const S_IFREG = 0o100000;
/** What readdir gives with each name: only the type is read (libfuse 2.9 makes d_type of it). */
const DIR_TYPE = { mode: S_IFDIR };
const FILE_TYPE = { mode: S_IFREG };

/** Options of a mount. */
export interface MountOptions {
  allowOther?: boolean;
  /** Trace every operation to the log (--debug). */
  debug?: boolean;
  /** Who may do what (default: the mount's owner everything, nobody else anything but reading). */
  access?: Access;
}

type Cb = (code: number, ...rest: unknown[]) => void;

/** What an operation run by the adapter knows of its request. */
export interface OpRequest {
  /** Fires when the kernel interrupts the request (its process got a signal): a wait then ends with EINTR. */
  signal: AbortSignal;
  /** Who asked. */
  caller: Caller;
}

/** A request being served: what aborts it when the kernel interrupts it. */
interface InFlight {
  op: string;
  path: string;
  caller: Caller;
  controller: AbortController;
}

/** An open file: what it reads and writes, and the node it was opened on (for fstat after removal). */
interface OpenFile {
  handle: FileHandle;
  node: VNode;
  /** Its path when opened: under nopath, read, write and release get "" instead. */
  path: string;
}

/** A mounted tree. */
export class FuseMount {
  private readonly fuse: FuseType;
  private readonly files = new Map<number, OpenFile>();
  /** Requests run() serves and has not answered yet, by fuse-native's request id. */
  private readonly inFlight = new Map<number, InFlight>();
  private nextFd = 1;
  private readonly uid = process.getuid?.() ?? 0;
  private readonly gid = process.getgid?.() ?? 0;
  private readonly access: Access;
  /** What the kernel keeps of the tree, and the project's version it was last checked against. */
  private readonly cache: KernelCache;
  private checkedVersion: number;
  private poll: NodeJS.Timeout | undefined;
  /** unmount() was called: the end of the session that follows is ours. */
  private unmounting = false;
  private ended = false;
  private taken: () => void = () => undefined;
  /**
   * Resolves when the mount is taken away from outside (`fusermount -u`, `umount`, an abort through
   * /sys/fs/fuse/connections) instead of by unmount(): the process should then end as at SIGTERM.
   */
  readonly takenAway = new Promise<void>((resolve) => (this.taken = resolve));

  constructor(readonly mountpoint: string, private readonly tree: Tree, private readonly logger: Logger, private readonly options: MountOptions = {}) {
    this.access = options.access ?? new Access({ ownerUid: this.uid, ownerGid: this.gid, group: null });
    this.cache = new KernelCache((path, what) => {
      if (options.debug) logger.debug(`fuse: take back ${what} of ${path}`);
      return this.fuse.invalidate(path, what);
    }, (node) => attrsOf(this.stat(node)), (name) => tree.stampOf(name), {
      failed: (err) => logger.error(`fuse: telling the kernel what changed failed: ${(err as Error)?.stack ?? String(err)}`),
    });
    this.checkedVersion = tree.project.version;
    this.fuse = new Fuse(mountpoint, this.operations(), {
      force: true,
      mkdir: true,
      autoUnmount: true,
      allowOther: options.allowOther ?? false,
      // Option values are joined into -o unescaped: this is how direct_io (and the rest) reach libfuse.
      // nopath: libfuse then locks no path for read, write and release, so a read waiting on a live
      // stream does not hold up unlink, rmdir and mkdir; those ops get "" and work from the handle
      // (vendor/fuse-native/PATCHED.md).
      // entry_timeout and attr_timeout: the kernel keeps names and attributes, so stat and ls -R do not reach
      // JS; what a change of the project changes behind the kernel's back is taken back (kernel-cache.ts,
      // vendor/fuse-native patch 5), and a file that changes by itself is answered with a zero timeout. A name
      // looked up and not found is never kept (negative_timeout=0), so a chain a ctl line makes is there at once.
      fsname: `audiofs,direct_io,big_writes,atomic_o_trunc,hard_remove,nopath,attr_timeout=${KERNEL_CACHE_S},entry_timeout=${KERNEL_CACHE_S},negative_timeout=0`,
      timeout: { default: 60_000, read: false },
      ended: () => this.sessionEnded(),
    });
  }

  /** Mounts; resolves when the kernel serves the mount. */
  async mount(): Promise<void> {
    let found: () => void = () => undefined;
    // Requests are served from the moment the kernel has the mount: no client starts before the guards are set.
    guardWhile(new Promise<void>((resolve) => (found = resolve)));
    try {
      await new Promise<void>((resolve, reject) => this.fuse.mount((err) => (err ? reject(err) : resolve())));
      for (const fd of await inheritableDescriptors()) guardDescriptor(fd);
      this.poll = setInterval(() => void this.tellKernel(), CHANGE_POLL_MS);
      this.poll.unref();
    } finally {
      found();
    }
  }

  /** Unmounts (every pending read must have been answered first); nothing to do once the mount was taken away. */
  async unmount(): Promise<void> {
    this.unmounting = true;
    clearInterval(this.poll);
    this.cache.close();
    if (this.ended) return;
    await new Promise<void>((resolve, reject) => this.fuse.unmount((err) => (err ? reject(err) : resolve())));
  }

  /** fuse-native's session loop returned: the mount is gone. */
  private sessionEnded(): void {
    this.ended = true;
    if (this.unmounting) return;
    this.logger.warn(`fuse: ${this.mountpoint} was unmounted from outside (fusermount -u, umount); ending every client and saving the project, as at SIGTERM`);
    this.taken();
  }

  private operations(): Record<string, (...args: any[]) => void> {
    const t = this.tree;
    const ok = (cb: Cb) => () => cb(0);
    return {
      init: (cb: Cb) => cb(0),
      statfs: (_p: string, cb: Cb) => cb(0, { bsize: 4096, frsize: 4096, blocks: 1 << 20, bfree: 1 << 19, bavail: 1 << 19, files: 1 << 16, ffree: 1 << 15, favail: 1 << 15, fsid: 0, flag: 0, namemax: 255 }),
      getattr: (p: string, cb: Cb) => this.now('getattr', p, cb, () => {
        const pid = this.fuse.context?.pid;
        if (pid !== undefined && t.hiddenFrom(p, pid)) throw new AudiofsError('ENOENT', 'getattr', p);
        const { node, parent } = this.find(p);
        const st = this.stat(node);
        // What changes by itself is asked for at every call; the rest the kernel keeps until told otherwise.
        if (node.kind === 'file' && node.live) st.attrValidMs = 0;
        else this.cache.remember(p, node, parent, attrsOf(st));
        return [st];
      }),
      // By handle: the size of what this open reads (a snapshot's), which the kernel must not keep for the file.
      fgetattr: (p: string, fd: number, cb: Cb) => this.now('fgetattr', p, cb, () => {
        // Only a regular file's fstat comes by handle (a directory's comes by path).
        const open = this.file(fd, 'fgetattr');
        return [{ ...this.stat(open.node, open.handle.size?.()), attrValidMs: 0 }];
      }, fd),
      access: (p: string, mask: number, cb: Cb) => this.run('access', p, cb, async (cb, { caller }) => {
        const node = t.resolve(p, 'access');
        const role = await this.access.roleOf(caller);
        if (node.kind === 'dir') {
          if (mask & W_OK) this.access.checkChange(role, 'access', p);
        } else {
          this.access.checkOpen(role, node, { read: (mask & R_OK) !== 0, write: (mask & W_OK) !== 0 }, p);
          if (mask & X_OK) throw new AudiofsError('EACCES', 'access', p, 'nothing here is a program');
        }
        cb(0);
      }),
      // No opendir: fuse-native opens directories itself, readdir gets the path, and the kernel keeps the
      // listing until told it changed (kernel-cache.ts). Each entry's type goes with its name (d_type): `ls -R`
      // and `find` then need no stat per entry.
      readdir: (p: string, _fd: number, cb: Cb) => this.now('readdir', p, cb, () => {
        const node = t.resolve(p, 'readdir');
        if (node.kind !== 'dir') throw new AudiofsError('ENOTDIR', 'readdir', p);
        const names = node.entries();
        const types = names.map((n) => (node.lookup(n)?.kind === 'dir' ? DIR_TYPE : FILE_TYPE));
        this.cache.rememberListing(p, node, names);
        return [['.', '..', ...names], [DIR_TYPE, DIR_TYPE, ...types]];
      }),
      open: (p: string, flags: number, cb: Cb) => this.run('open', p, cb, async (cb, { caller }) => {
        const node = t.resolve(p, 'open');
        if (node.kind === 'dir') throw new AudiofsError('EISDIR', 'open', p);
        const mode = openMode(flags);
        const role = await this.access.roleOf(caller);
        this.access.checkOpen(role, node, mode, p);
        if (mode.truncate && mode.write && !(role === 'group' && node.steerable)) this.access.checkChange(role, 'truncate', p);
        // A file that says when it changes (err): the kernel is told its last change before the open takes its
        // text, so what the open reads and the size stat gives agree.
        await this.cache.settled(p);
        cb(0, this.remember(await node.open({ ...mode, caller, role }), node, p));
      }, (flags & 3) !== 0),
      create: (p: string, mode: number, cb: Cb) => this.run('create', p, cb, async (cb, { caller }) => {
        this.access.checkChange(await this.access.roleOf(caller), 'create', p);
        const handle = await t.create(p, { mode, caller });
        cb(0, this.remember(handle, t.resolve(p, 'create'), p));
      }),
      read: (p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb) => this.run('read', this.pathOf(fd, p), cb, async (cb, { signal }) => {
        const handle = this.file(fd, 'read').handle;
        if (handle.readInto) {
          cb(await handle.readInto(pos, buf.subarray(0, len), signal));
          return;
        }
        const data = await handle.read(pos, len, signal);
        data.copy(buf, 0, 0, Math.min(len, data.length));
        cb(Math.min(len, data.length));
      }),
      write: (p: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb) => this.run('write', this.pathOf(fd, p), cb, async (cb, { signal }) => {
        cb(await this.file(fd, 'write').handle.write(pos, Buffer.from(buf.subarray(0, len)), signal));
      }),
      flush: (p: string, fd: number, cb: Cb) => this.run('flush', this.pathOf(fd, p), cb, async (cb) => {
        const open = this.files.get(fd);
        await open?.handle.flush();
        if (open) await this.recheck(open.path);
        cb(0);
      }),
      fsync: (_p: string, _d: number, _fd: number, cb: Cb) => cb(0),
      release: (p: string, fd: number, cb: Cb) => this.run('release', this.pathOf(fd, p), cb, async (cb) => {
        const open = this.files.get(fd);
        this.files.delete(fd);
        await open?.handle.release();
        // A generated file's size is its text's again once its readers are gone.
        if (open) await this.recheck(open.path);
        cb(0);
      }),
      truncate: (p: string, size: number, cb: Cb) => this.run('truncate', p, cb, async (cb, { caller }) => {
        this.access.checkChange(await this.access.roleOf(caller), 'truncate', p);
        const node = t.resolve(p, 'truncate');
        if (node.kind === 'dir') throw new AudiofsError('EISDIR', 'truncate', p);
        await node.truncate(size);
        cb(0);
      }),
      ftruncate: (p: string, fd: number, size: number, cb: Cb) => this.run('ftruncate', this.pathOf(fd, p), cb, async (cb) => {
        const { handle, node } = this.file(fd, 'ftruncate');
        if (handle.truncate) await handle.truncate(size);
        else if (node.kind === 'file') await node.truncate(size);
        cb(0);
      }),
      unlink: (p: string, cb: Cb) => this.change('unlink', p, cb, () => t.unlink(p)),
      // GNU cp fills a directory it made with O_EXCL creates: that directory looks empty to it (copy-made-dirs.ts).
      mkdir: (p: string, _mode: number, cb: Cb) => this.change('mkdir', p, cb, async ({ pid }) => t.mkdir(p, (await commandOf(pid)) === 'cp' ? { copier: pid } : {})),
      rmdir: (p: string, cb: Cb) => this.change('rmdir', p, cb, () => t.rmdir(p)),
      chmod: (p: string, mode: number, cb: Cb) => this.change('chmod', p, cb, () => t.chmod(p, mode)),
      // Ownership stays the mount's (chown is taken, as tar and cp -a do it).
      chown: (p: string, _u: number, _g: number, cb: Cb) => this.change('chown', p, cb, async () => void t.resolve(p, 'chown')),
      utimens: (p: string, _a: number, _m: number, cb: Cb) => this.change('utimens', p, cb, async () => void t.resolve(p, 'utimens')),
      rename: (p: string, dest: string, cb: Cb) => this.change('rename', p, cb, () => t.rename(p, dest)),
      // mkfifo, mknod, ln -s and ln: EPERM (without these ops libfuse answered ENOSYS to the first two).
      mknod: (p: string, _mode: number, _dev: number, cb: Cb) => this.run('mknod', p, cb, async () => t.refuseLink('mknod', p)),
      symlink: (_target: string, p: string, cb: Cb) => this.run('symlink', p, cb, async () => t.refuseLink('symlink', p)),
      link: (_from: string, p: string, cb: Cb) => this.run('link', p, cb, async () => t.refuseLink('link', p)),
      // Extended attributes are not kept: every xattr call is answered EOPNOTSUPP (cp -a then falls back to chmod).
      getxattr: (p: string, _n: string, _pos: number, cb: Cb) => this.run('getxattr', p, cb, notSupported),
      listxattr: (p: string, cb: Cb) => this.run('listxattr', p, cb, notSupported),
      setxattr: (p: string, _n: string, _v: Buffer, _pos: number, _f: number, cb: Cb) => this.run('setxattr', p, cb, notSupported),
      removexattr: (p: string, _n: string, cb: Cb) => this.run('removexattr', p, cb, notSupported),
      // Not a file operation: the kernel interrupted request `request` (its process got a signal).
      interrupt: (request: number) => this.interrupt(request),
    };
  }

  /**
   * Runs one operation and answers exactly once: the result, or the errno of what it threw.
   * `f` gets the request's AbortSignal (fired when the kernel interrupts it) and its caller.
   */
  private run(op: string, path: string, cb: Cb, f: (cb: Cb, request: OpRequest) => Promise<void>, writes = !READS.has(op)): void {
    // fuse-native sets the context only while this op's handler runs: it is read here, synchronously.
    const context = this.fuse.context;
    const caller: Caller = context ? { uid: context.uid, gid: context.gid, pid: context.pid } : { uid: this.uid, gid: this.gid, pid: 0 };
    const controller = new AbortController();
    const id = context?.request;
    if (id !== undefined) this.inFlight.set(id, { op, path, caller, controller });
    if (this.options.debug) this.logger.debug(`fuse: ${op} ${path} from pid ${caller.pid}`);
    const project = this.tree.project;
    const version = project.version;
    let answered = false;
    const once: Cb = (code, ...rest) => {
      if (answered) return;
      answered = true;
      // A change is acknowledged only once it is stored: an operation during which the project changed is
      // answered once a save that began after the change is on disk (one already running may have missed it).
      // A request that only reads (a blocked reader of a stream, above all) never waits for a save.
      if (project.version !== version) {
        // What the change changed behind the kernel's back is taken back before the answer (when the kernel
        // holds no directory's lock for this request), and the change is stored.
        const told = this.tellKernel();
        const stored = writes && code >= 0 ? project.persist() : undefined;
        const waits = [TELLS_FIRST.has(op) ? told : undefined, stored].filter((w) => w !== undefined);
        if (waits.length > 0) {
          Promise.all(waits).then(() => send(code, rest), (err: unknown) => send(code >= 0 ? errnoNumber(errnoNameOf(err)) : code, []));
          return;
        }
      }
      send(code, rest);
    };
    const send = (code: number, rest: unknown[]): void => {
      if (id !== undefined) this.inFlight.delete(id);
      if (!Number.isInteger(code)) {
        // fuse-native throws on anything but a number and the kernel request then waits for ever.
        this.logger.error(`fuse: ${op} ${path}: internal error: answered with ${String(code)} (expected an errno number)`);
        code = errnoNumber('EIO');
        rest = [];
      }
      if (this.options.debug) this.logger.debug(`fuse: ${op} ${path} -> ${code}${controller.signal.aborted ? ' (interrupted)' : ''}`);
      cb(code, ...rest);
    };
    f(once, { signal: controller.signal, caller }).catch((err: unknown) => once(this.failure(op, path, err)));
  }

  /**
   * Runs an operation that never waits (getattr, readdir): answered at once, without the bookkeeping that lets
   * a waiting one be interrupted. `f` returns what follows the 0 of a success.
   */
  private now(op: string, path: string, cb: Cb, f: () => unknown[], fd?: number): void {
    let result: unknown[];
    try {
      result = f();
    } catch (err) {
      const code = this.failure(op, fd === undefined ? path : this.pathOf(fd, path), err);
      if (this.options.debug) this.logger.debug(`fuse: ${op} ${fd === undefined ? path : this.pathOf(fd, path)} -> ${code}`);
      cb(code);
      return;
    }
    if (this.options.debug) this.logger.debug(`fuse: ${op} ${fd === undefined ? path : this.pathOf(fd, path)} -> 0`);
    cb(0, ...result);
  }

  /** Takes back from the kernel what changed since the project's version last checked (at once if none). */
  private tellKernel(): Promise<void> {
    const version = this.tree.project.version;
    if (version === this.checkedVersion) return Promise.resolve();
    this.checkedVersion = version;
    return this.safely(() => this.cache.check());
  }

  /** Takes back a file's attributes if they changed (its readers closed). */
  private recheck(path: string): Promise<void> {
    return this.safely(() => this.cache.recheck(path));
  }

  /**
   * Runs what tells the kernel: a failure must not fail the request that waits on it, nor the timer. It is
   * logged, and the kernel keeps what it has for at most its timeout.
   */
  private safely(f: () => Promise<void>): Promise<void> {
    const failed = (err: unknown) => this.logger.error(`fuse: telling the kernel what changed failed: ${(err as Error)?.stack ?? String(err)}`);
    try {
      return f().catch(failed);
    } catch (err) {
      failed(err);
      return Promise.resolve();
    }
  }

  /** The node at a path and the directory it is in (ENOENT, ENOTDIR as Tree.resolve). */
  private find(path: string): { node: VNode; parent: DirNode | undefined } {
    let node: VNode = this.tree.root;
    let parent: DirNode | undefined;
    for (const part of path.split('/')) {
      if (part === '') continue;
      if (node.kind !== 'dir') throw new AudiofsError('ENOTDIR', 'getattr', path);
      const next: VNode | undefined = node.lookup(part);
      if (!next) throw new AudiofsError('ENOENT', 'getattr', path);
      parent = node;
      node = next;
    }
    return { node, parent };
  }

  /** The errno an operation answers for what it threw (logged when it is not one of ours). */
  private failure(op: string, path: string, err: unknown): number {
    const name = errnoNameOf(err);
    // A line refused before it reached the project (too long) is logged here, as the project logs the others.
    if (err instanceof CtlError) this.logger.error(`${path}: '${err.line}' refused: ${err.detail}`);
    // A file's bound (an `in` of 4 GiB, comments, a command file): the writer gets EFBIG and /log says which.
    if (err instanceof AudiofsError && name === 'EFBIG') this.logger.warn(`${path}: ${op} refused, nothing changed: ${err.detail}`);
    if (!(err instanceof AudiofsError) && name === 'EIO') this.logger.error(`fuse: ${op} ${path}: ${(err as Error)?.stack ?? String(err)}`);
    return errnoNumber(name);
  }

  /** A change of the tree, which only the owner may make. */
  private change(op: string, path: string, cb: Cb, f: (caller: Caller) => Promise<void>): void {
    this.run(op, path, cb, async (cb, { caller }) => {
      this.access.checkChange(await this.access.roleOf(caller), op, path);
      await f(caller);
      cb(0);
    });
  }

  /** The kernel interrupted a request: what it waits on gives up with EINTR (a request that does not wait answers as usual). */
  private interrupt(request: number): void {
    const served = this.inFlight.get(request);
    if (!served) return;
    if (this.options.debug) this.logger.debug(`fuse: interrupt ${served.op} ${served.path} (pid ${served.caller.pid})`);
    served.controller.abort(new AudiofsError('EINTR', served.op, served.path, 'interrupted by a signal'));
  }

  private remember(handle: FileHandle, node: VNode, path: string): number {
    const fd = this.nextFd++;
    this.files.set(fd, { handle, node, path });
    return fd;
  }

  /** The path an operation on an open file is reported under. */
  private pathOf(fd: number, path: string): string {
    return path || (this.files.get(fd)?.path ?? `handle ${fd}`);
  }

  private file(fd: number, op: string): OpenFile {
    const open = this.files.get(fd);
    if (!open) throw new AudiofsError('EBADF', op, `handle ${fd}`);
    return open;
  }

  private stat(node: VNode, openSize?: number): Record<string, unknown> {
    const dir = node.kind === 'dir';
    const size = dir ? 4096 : openSize ?? node.size();
    // With a steering group, the files it may write show it in their group bits.
    const steer = node.kind === 'file' && node.steerable && this.access.options.group !== null ? 0o060 : 0;
    return {
      mode: (dir ? S_IFDIR : S_IFREG) | node.mode | steer,
      size,
      // du counts what is stored, in 512-byte blocks (a sparse `in` less than its size).
      blocks: Math.ceil((node.kind === 'file' && node.stored && openSize === undefined ? Math.min(size, node.stored()) : size) / 512),
      // The I/O size tools take from stat (cat, cp): a file only read (out, stream.mp3, status, err) is read
      // 1 MiB a request; files written keep 4 KiB, so a writer's write(2) stays one request of what it wrote
      // (a 1 MiB write held part-way by a full live `in` would leave stat at the size before it).
      blksize: (node.mode & 0o222) === 0 ? READ_ONLY_IO : 4096,
      nlink: dir ? 2 : 1,
      uid: this.uid,
      gid: this.access.fileGid,
      mtime: node.mtime,
      atime: node.mtime,
      ctime: (node.kind === 'file' && node.ctime) || node.mtime,
    };
  }
}

/** st_blksize of read-only files: the kernel takes reads of up to 1 MiB in one request (FUSE_MAX_PAGES, patch 5). */
const READ_ONLY_IO = 1024 * 1024;

/** What the kernel keeps of a stat answer. */
function attrsOf(st: Record<string, unknown>): Attrs {
  return { size: st.size as number, mode: st.mode as number, mtime: (st.mtime as Date).getTime(), ctime: (st.ctime as Date).getTime() };
}

/** The negative errno fuse-native answers with for an errno name (ENOTSUP is Linux's EOPNOTSUPP). */
export function errnoNumber(name: ErrnoName): number {
  const key = name === 'ENOTSUP' ? 'EOPNOTSUPP' : name;
  const n = (Fuse as unknown as Record<string, unknown>)[key];
  if (typeof n !== 'number') throw new Error(`fuse-native has no errno ${key}`);
  return n;
}

async function notSupported(): Promise<void> {
  throw new AudiofsError('ENOTSUP', 'xattr', '', 'extended attributes are not kept');
}

/**
 * The descriptors of this process that a child would inherit (no close-on-exec): /dev/fuse and the
 * fusermount socket that libfuse opens, and whatever audiofs's own parent left open. A client holding
 * them would keep a dead mount alive, or let an old fusermount unmount a new mount.
 */
async function inheritableDescriptors(): Promise<number[]> {
  const fds: number[] = [];
  for (const name of await readdir('/proc/self/fdinfo').catch(() => [] as string[])) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    const info = await readFile(`/proc/self/fdinfo/${name}`, 'utf8').catch(() => '');
    const flags = /^flags:\s*([0-7]+)/m.exec(info)?.[1];
    if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) fds.push(fd);
  }
  return fds;
}

const O_CLOEXEC = 0o2000000;
