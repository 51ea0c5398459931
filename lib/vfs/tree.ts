import { AudiofsError } from '../base/errors.js';
import type { Chain } from '../procchain/chain.js';
import type { Stage } from '../procchain/stage.js';
import type { InputStore } from '../procchain/input-store.js';
import { LineFile } from './line-file.js';
import type { Project } from '../studio/project.js';
import { CachedText } from './cached-text.js';
import { chainLines, ChainLinesBytes, transportText } from '../studio/project-text.js';
import { statusText } from './status-text.js';
import { CopyMadeDirs } from './copy-made-dirs.js';
import { StoreFile } from './store-file.js';
import { SnapshotFile } from './snapshot-file.js';
import { StreamFile } from './stream-file.js';
import type { LogFile } from './log-file.js';
import { nameProblem, printable, type ChainFile, type RootFile } from '../studio/names.js';
import { dispose, USER_FILE_MAX, type DirOwner } from '../studio/user-files.js';
import type { Caller } from '../studio/caller.js';
import type { DirNode, FileHandle, FileNode, VNode } from './vnode.js';

/** How old /status may be when read (it holds live values: position, levels, xruns); any change makes it again. */
export const STATUS_MAX_AGE_MS = 25;

/** A large project's /status is kept 4 times as long as it took to make: a reader polling it takes at most a fifth of the engine's thread. */
export const STATUS_COST_FACTOR = 4;

/** The most /comments holds. */
export const COMMENTS_MAX = 1024;
/** The largest stored input (`in`): 4 GiB, what a WAV file can hold. A larger write or truncate gets EFBIG and changes nothing. */
export const INPUT_MAX = 4 * 1024 * 1024 * 1024;

/** A directory: audiofs's own entries (which unlink hides until they are created again, as tar does) and the user's files. */
abstract class Dir implements DirNode {
  readonly kind = 'dir';
  mtime = new Date();
  readonly hidden = new Set<string>();
  abstract mode: number;
  /** What the user's files of this directory belong to. */
  abstract readonly owner: DirOwner;
  protected abstract readonly tree: Tree;
  protected abstract names(): string[];
  protected abstract find(name: string): VNode | undefined;

  entries(): string[] {
    return [...this.names().filter((n) => !this.hidden.has(n)), ...this.tree.project.userFiles.names(this.owner)];
  }

  lookup(name: string): VNode | undefined {
    if (!this.hidden.has(name)) {
      const own = this.find(name);
      if (own) return own;
    }
    return this.userFile(name);
  }

  /** audiofs's own node of a name even when hidden (create brings it back). */
  lookupOwn(name: string): VNode | undefined {
    return this.find(name);
  }

  /** The user's file of that name. */
  userFile(name: string): StoreFile | undefined {
    const store = this.tree.project.userFiles.get(this.owner, name);
    return store && this.tree.userFileNode(store);
  }
}

/** The mount's file tree over a Project: paths to nodes, and what mkdir, rmdir, chmod, unlink, create and rename mean. */
export class Tree {
  readonly root: RootDir;
  private readonly userNodes = new WeakMap<InputStore, StoreFile>();
  /** Directories cp made, which look empty to it until it has created their files. */
  private readonly copyMade = new CopyMadeDirs();

  constructor(readonly project: Project, readonly log: LogFile, readonly extras: { config?: FileNode } = {}) {
    this.root = new RootDir(this);
  }

  /** The node at a path, or ENOENT. */
  resolve(path: string, op = 'lookup'): VNode {
    let node: VNode = this.root;
    for (const part of split(path)) {
      if (node.kind !== 'dir') throw new AudiofsError('ENOTDIR', op, path);
      const next: VNode | undefined = node.lookup(part);
      if (!next) throw new AudiofsError('ENOENT', op, path);
      node = next;
    }
    return node;
  }

  /**
   * mkdir: `/NAME` makes an empty chain, `/NAME/STAGE` a stage with no command yet. Made by `cp` (`copier`: its
   * pid), the directory looks empty to it until it has created each file (copy-made-dirs.ts).
   */
  async mkdir(path: string, options: { copier?: number } = {}): Promise<void> {
    const parts = split(path);
    checkEntryName(parts[parts.length - 1] ?? '', 'mkdir', path);
    let made: Dir;
    if (parts.length === 1) {
      if (this.root.lookup(parts[0])) throw new AudiofsError('EEXIST', 'mkdir', path);
      made = this.chainDir(await this.project.createChain(parts[0], [], path));
    } else if (parts.length === 2) {
      const chain = this.chainOf(parts[0], 'mkdir', path);
      if (this.chainDir(chain).lookup(parts[1])) throw new AudiofsError('EEXIST', 'mkdir', path);
      made = this.stageDir(chain, this.project.addStage(chain, parts[1]));
    } else {
      throw new AudiofsError('EPERM', 'mkdir', path, 'only chains (/NAME) and stages (/NAME/STAGE) are directories');
    }
    if (options.copier !== undefined) this.copyMade.add('/' + parts.join('/'), options.copier, made.entries());
  }

  /** Whether the file at `path` is not there for process `pid` (a cp in a directory it made). */
  hiddenFrom(path: string, pid: number): boolean {
    const parts = split(path);
    const name = parts.pop();
    return name !== undefined && parts.length > 0 && this.copyMade.hides('/' + parts.join('/'), name, pid);
  }

  /** mknod (mkfifo), ln -s and ln: only directories and regular files are kept (EPERM). */
  refuseLink(op: 'mknod' | 'symlink' | 'link', path: string): never {
    const what = op === 'mknod' ? 'special files' : op === 'symlink' ? 'symbolic links' : 'hard links';
    throw new AudiofsError('EPERM', op, path, `${what} are not kept (expected a regular file or a directory)`);
  }

  /** rmdir: ends a chain or a stage (rm -r). */
  async rmdir(path: string): Promise<void> {
    const parts = split(path);
    this.copyMade.removed('/' + parts.join('/'));
    if (parts.length === 1) {
      await this.project.removeChain(this.chainOf(parts[0], 'rmdir', path));
      return;
    }
    if (parts.length === 2) {
      const chain = this.chainOf(parts[0], 'rmdir', path);
      const stage = chain.stage(parts[1]);
      if (!stage) throw new AudiofsError(this.chainDir(chain).lookup(parts[1]) ? 'ENOTDIR' : 'ENOENT', 'rmdir', path);
      await this.project.removeStage(chain, stage);
      return;
    }
    throw new AudiofsError(parts.length === 0 ? 'EBUSY' : 'ENOTDIR', 'rmdir', path);
  }

  /** chmod: on a stage directory u-rw bypasses and u+rw puts it back; elsewhere the bits are kept. */
  async chmod(path: string, mode: number): Promise<void> {
    const parts = split(path);
    const node = this.resolve(path, 'chmod');
    if (parts.length === 2 && node.kind === 'dir') {
      const chain = this.chainOf(parts[0], 'chmod', path);
      await this.project.setStageMode(chain, chain.stage(parts[1])!, mode);
      return;
    }
    if (parts.length === 1 && node.kind === 'dir') this.chainOf(parts[0], 'chmod', path).mode = mode & 0o7777;
    else if (parts.length > 0) node.mode = mode & 0o7777;
    this.project.onChange(this.chainAt(path));
  }

  /** unlink: removes a file of the user's; clears what one of audiofs's stores and hides it until it is created again. */
  async unlink(path: string): Promise<void> {
    const { dir, name } = this.parentOf(path, 'unlink');
    const node = dir.lookup(name);
    if (!node) throw new AudiofsError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw new AudiofsError('EISDIR', 'unlink', path);
    if (this.project.userFiles.remove(dir.owner, name)) {
      dir.mtime = new Date();
      return;
    }
    await node.unlink().catch((err: unknown) => {
      if (err instanceof AudiofsError) this.project.logger.warn(`${path}: unlink refused: ${err.detail}`);
      throw retag(err, 'unlink', path);
    });
    dir.hidden.add(name);
    dir.mtime = new Date();
    this.project.onChange(this.chainAt(path));
  }

  /** The chain a path is in (what a change there touches), or undefined at the root. */
  private chainAt(path: string): Chain | undefined {
    const parts = split(path);
    return parts.length >= 2 ? this.project.chains.get(parts[0]) : undefined;
  }

  /** create: brings back a file that unlink hid, or makes a file of the user's under any other name. */
  async create(path: string, options: { mode?: number; caller?: Caller } = {}): Promise<FileHandle> {
    const { dir, name } = this.parentOf(path, 'create');
    this.copyMade.created(path.slice(0, path.lastIndexOf('/')) || '/', name);
    const own = dir.lookupOwn(name);
    if (own?.kind === 'dir') throw new AudiofsError('EEXIST', 'create', path);
    if (own) {
      dir.hidden.delete(name);
      return own.open({ read: false, write: true, nonblocking: false, nofollow: false, append: false, truncate: true, caller: options.caller });
    }
    checkEntryName(name, 'create', path);
    const store = this.project.userFiles.create(dir.owner, name, path);
    const node = this.userFileNode(store);
    if (options.mode !== undefined) node.mode = options.mode & 0o7777;
    dir.mtime = new Date();
    return node.open({ read: true, write: true, nonblocking: false, nofollow: false, append: false, truncate: false, caller: options.caller });
  }

  /**
   * rename: a file of the user's moves, or, renamed onto one of audiofs's files, is applied to it as one
   * validated write and goes (sed -i, rsync, editors). One of audiofs's files renamed away leaves a copy under
   * the new name and is cleared (an editor's backup). Directories keep their names.
   */
  async rename(from: string, to: string): Promise<void> {
    const src = this.parentOf(from, 'rename');
    const dst = this.parentOf(to, 'rename');
    const node = src.dir.lookup(src.name);
    if (!node) throw new AudiofsError('ENOENT', 'rename', from);
    if (node.kind === 'dir') throw new AudiofsError('EPERM', 'rename', from, 'chains and stages keep their names (make a new one and remove the old)');
    if (src.dir === dst.dir && src.name === dst.name) return;
    const target = dst.dir.lookup(dst.name) ?? dst.dir.lookupOwn(dst.name);
    if (target?.kind === 'dir') throw new AudiofsError('EISDIR', 'rename', to);
    const files = this.project.userFiles;
    const userStore = files.get(src.dir.owner, src.name);
    const targetIsOwn = target !== undefined && files.get(dst.dir.owner, dst.name) === undefined;
    if (!targetIsOwn) checkEntryName(dst.name, 'rename', to);
    // What moves: the user's file itself, or a copy of one of audiofs's files (an editor's backup).
    const moving = userStore ?? (await this.copyOf(node));
    if (targetIsOwn) {
      if (!target.replace) throw new AudiofsError('EPERM', 'rename', to, 'this file cannot be replaced');
      // Adopted by an `in`, the store lives on there; copied, it goes.
      const adopted = await target.replace(moving).catch((err: unknown) => { throw retag(err, 'rename', to); });
      dst.dir.hidden.delete(dst.name);
      if (userStore) files.take(src.dir.owner, src.name);
      if (!adopted) void dispose(moving);
    } else {
      if (userStore) files.take(src.dir.owner, src.name);
      files.put(dst.dir.owner, dst.name, moving, to);
    }
    if (!userStore) {
      await node.unlink();
      src.dir.hidden.add(src.name);
    }
    src.dir.mtime = dst.dir.mtime = new Date();
    this.project.onChange();
  }

  /** A new store holding what a file of audiofs's reads now. */
  private async copyOf(node: FileNode): Promise<InputStore> {
    const handle = await node.open({ read: true, write: false, nonblocking: true, nofollow: false, append: false, truncate: false });
    const copy = this.project.newStore();
    try {
      for (let at = 0; ;) {
        const chunk = await handle.read(at, 1024 * 1024);
        if (chunk.length === 0) break;
        await copy.write(at, chunk);
        at += chunk.length;
      }
    } finally {
      await handle.release();
    }
    return copy;
  }

  /**
   * What the attributes and listings below a chain's directory are made from, by identity and value (its stages
   * and their commands, sched lines, modes and inputs; its mode, type, mixer strip and input): while the stamp
   * stays the same, nothing below the chain changed behind the kernel's back (kernel-cache.ts). Undefined for a
   * name that is no chain.
   */
  stampOf(name: string): unknown[] | undefined {
    const chain = this.project.chains.get(name);
    if (!chain) return undefined;
    const strip = this.project.stripOf(chain);
    const stamp: unknown[] = [chain, chain.stages, chain.stages.length, chain.mode, chain.inputType, chain.liveInput, chain.input, chain.input.size,
      strip, strip.volume, strip.pan, strip.mute, strip.solo];
    for (const s of chain.stages) stamp.push(s, s.name, s.mode, s.argv, s.sched, s.sched.length, s.input, s.input.size);
    return stamp;
  }

  /** @internal a writer opened or closed an `in` file (the store counts them) */
  writersChanged(store: InputStore): void {
    // A closed writer may let a deferred save of this store go ahead.
    if (!store.growing) this.project.onChange();
    for (const c of this.project.chains.values()) {
      if (c.input === store || c.stages.some((s) => s.input === store)) c.run?.poke();
    }
  }

  /** @internal the node objects of a chain, made once */
  chainDir(chain: Chain): ChainDir {
    let d = chainDirs.get(chain);
    if (!d) chainDirs.set(chain, (d = new ChainDir(this, chain)));
    return d;
  }

  /** @internal */
  stageDir(chain: Chain, stage: Stage): StageDir {
    let d = stageDirs.get(stage);
    if (!d) stageDirs.set(stage, (d = new StageDir(this, chain, stage)));
    return d;
  }

  /** @internal */
  storeFile(store: () => InputStore, onWrite: () => void, adopt?: (store: InputStore) => void): StoreFile {
    // A stored input is the owner's music: not readable by other users unless the owner says so.
    return new StoreFile({
      store, onWrite, adopt, mode: 0o640, maxSize: INPUT_MAX,
      onWriters: (s) => this.writersChanged(s), onFlush: (s) => this.project.persist({ store: s }),
    });
  }

  /** @internal the node of a file of the user's, made once per store */
  userFileNode(store: InputStore): StoreFile {
    let node = this.userNodes.get(store);
    if (!node) {
      node = new StoreFile({
        store: () => store,
        maxSize: USER_FILE_MAX,
        onWriters: (s) => this.writersChanged(s),
        onFlush: (s) => this.project.persist({ store: s }),
      });
      this.userNodes.set(store, node);
    }
    return node;
  }

  private chainOf(name: string, op: string, path: string): Chain {
    const chain = this.project.chains.get(name);
    if (!chain) throw new AudiofsError('ENOENT', op, path);
    return chain;
  }

  private parentOf(path: string, op: string): { dir: Dir; name: string } {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) throw new AudiofsError('EISDIR', op, path);
    const dir = this.resolve('/' + parts.join('/'), op);
    if (!(dir instanceof Dir)) throw new AudiofsError('ENOTDIR', op, path);
    return { dir, name };
  }
}

const chainDirs = new WeakMap<Chain, ChainDir>();
const stageDirs = new WeakMap<Stage, StageDir>();

class RootDir extends Dir {
  mode = 0o755;
  // The reserved names' one home is studio/names.ts: the compiler holds these files to exactly that list.
  private readonly files: { [K in RootFile]: K extends 'config' ? FileNode | undefined : FileNode };

  constructor(protected readonly tree: Tree) {
    super();
    const project = tree.project;
    const out = project.outputs;
    const version = () => project.version;
    // The transport's lines are a few flags read as they are; the chains' lines are made once per change.
    const chainText = new CachedText(() => chainLines(project), { version });
    // A stat of /ctl comes after each change (the kernel was told to forget its size): the size alone is kept.
    const chainBytes = new ChainLinesBytes(project);
    const status = new CachedText(() => statusText(project), { version, maxAgeMs: STATUS_MAX_AGE_MS, costFactor: STATUS_COST_FACTOR });
    const channels = new CachedText(() => project.channelsText(), { version, maxAgeMs: STATUS_MAX_AGE_MS });
    this.files = {
      ctl: new LineFile({
        steerable: true,
        // Nearly every change changes it (and only a change does: the transport's lines too): taken back from the
        // kernel at each change rather than made again to compare its size (O(chains)).
        versioned: true,
        read: () => {
          const head = transportText(project);
          return head === '' ? chainText.get() : Buffer.concat([Buffer.from(head), chainText.get()]);
        },
        size: () => Buffer.byteLength(transportText(project)) + chainBytes.get(),
        check: (l, how) => project.checkRootLine(l, how),
        apply: (l, how) => project.execRootLine(l, how),
        replace: (text) => project.execRootText(text),
      }),
      mixer: new LineFile({
        steerable: true, read: () => project.mixerText(), apply: (l) => project.applyMixer(l), writer: () => project.mixerWriter(), replace: (t) => project.applyMixer(t),
      }),
      config: tree.extras.config,
      status: new SnapshotFile(() => status.get(), { version: () => project.version }),
      log: tree.log,
      comments: new StoreFile({ store: () => project.comments, maxSize: COMMENTS_MAX, onWrite: () => project.onChange(null), mode: 0o640 }),
      out: new StreamFile(({ nonblocking }) => out.out.openReader({ nonblocking })),
      'stream.mp3': new StreamFile(({ nonblocking }) => {
        const stream = out.stream;
        if (!stream) throw new AudiofsError('ENOENT', 'open', '/stream.mp3', 'no mp3 encoder is configured (mp3: off)');
        return stream.openReader({ nonblocking, atSync: true });
      }),
      channels: new SnapshotFile(() => channels.get()),
    };
  }

  get owner(): DirOwner { return this.tree.project; }

  protected names(): string[] {
    // /config is the machine's, not the project's: it is there by name but not listed, so no copy or archive carries it.
    return [...Object.keys(this.files).filter((n) => n !== 'config'), ...this.tree.project.chains.keys()];
  }

  protected find(name: string): VNode | undefined {
    if (Object.hasOwn(this.files, name)) return this.files[name as RootFile];
    const chain = this.tree.project.chains.get(name);
    return chain && this.tree.chainDir(chain);
  }
}

class ChainDir extends Dir {
  private readonly files: Record<ChainFile, FileNode>;

  constructor(protected readonly tree: Tree, private readonly chain: Chain) {
    super();
    const project = tree.project;
    this.files = {
      in: tree.storeFile(() => chain.input, () => chain.run?.poke(), (store) => project.adoptInput(chain, undefined, store)),
      out: new StreamFile(({ nonblocking }) => chain.out.openReader({ nonblocking })),
      ctl: new LineFile({ steerable: true, read: () => chainSettings(chain), check: (l, how) => project.checkChainLine(chain, l, how), apply: (l, how) => project.execChainLine(chain, l, how), replace: (t) => project.execChainText(chain, t) }),
      mixer: new LineFile({
        steerable: true, read: () => project.mixerText(chain), apply: (l) => project.applyMixer(l, chain),
        writer: () => project.mixerWriter(chain), replace: (t) => project.applyMixer(t, chain),
      }),
    };
  }

  get owner(): DirOwner { return this.chain; }
  get mode(): number { return this.chain.mode; }
  set mode(m: number) { this.chain.mode = m; }

  protected names(): string[] {
    return [...Object.keys(this.files), ...this.chain.stages.map((s) => s.name)];
  }

  protected find(name: string): VNode | undefined {
    if (Object.hasOwn(this.files, name)) return this.files[name as ChainFile];
    const stage = this.chain.stage(name);
    return stage && this.tree.stageDir(this.chain, stage);
  }
}

class StageDir extends Dir {
  private readonly files: Record<string, FileNode>;

  constructor(protected readonly tree: Tree, private readonly chain: Chain, private readonly stage: Stage) {
    super();
    const project = tree.project;
    this.files = {
      cmd: new LineFile({
        read: () => (stage.argv.length > 0 ? `${stage.commandLine}\n` : ''),
        apply: (l) => project.setStageCommand(chain, stage, l),
      }),
      sched: new LineFile({
        read: () => stage.sched.map((l) => `${l}\n`).join(''),
        apply: (l) => project.addSched(chain, stage, l),
        writer: (how) => project.schedWriter(chain, stage, how),
        replace: (t) => project.replaceSched(chain, stage, t),
        clear: () => { stage.sched = []; project.onChange(); },
      }),
      in: tree.storeFile(() => stage.input, () => chain.run?.inject(stage), (store) => project.adoptInput(chain, stage, store)),
      out: new StreamFile(({ nonblocking }) => stage.out.openReader({ nonblocking })),
      // Its size changes by itself, and the ring says when: the kernel keeps its attributes and is told.
      err: new SnapshotFile(() => stage.err.contents(), { mode: 0o440, changes: (f) => stage.err.watch(f) }),
    };
  }

  get owner(): DirOwner { return this.stage; }
  get mode(): number { return this.stage.mode; }
  set mode(m: number) { this.stage.mode = m; }

  protected names(): string[] {
    return Object.keys(this.files);
  }

  protected find(name: string): VNode | undefined {
    return Object.hasOwn(this.files, name) ? this.files[name] : undefined;
  }
}

function chainSettings(chain: Chain): string {
  return `type ${chain.inputType}\nrealtime ${chain.liveInput ? 'on' : 'off'}\n`;
}

/** Throws EINVAL (ENAMETOOLONG) unless a new entry's name is valid UTF-8 without control characters, at most 255 bytes. */
function checkEntryName(name: string, op: string, path: string): void {
  const problem = nameProblem(name);
  if (problem) throw new AudiofsError(problem.code, op, printable(path), `the name ${problem.why} (expected valid UTF-8 without control characters)`);
}

/** Error tags of a refused replace carry the rename's path. */
function retag(err: unknown, op: string, path: string): unknown {
  if (err instanceof AudiofsError && err.path === '') return new AudiofsError(err.code, op, path, err.detail, { cause: err });
  return err;
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}
