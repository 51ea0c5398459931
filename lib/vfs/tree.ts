import { AudiofsError } from '../base/errors.js';
import { LiveStream } from '../base/live-stream.js';
import type { Chain } from '../procchain/chain.js';
import type { Stage } from '../procchain/stage.js';
import type { InputStore } from '../procchain/input-store.js';
import { LineFile } from './line-file.js';
import type { Project } from './project.js';
import { projectLines } from './project-text.js';
import { statusText } from './status-text.js';
import { StoreFile } from './store-file.js';
import { SnapshotFile, StreamFile } from './stream-file.js';
import type { DirNode, FileHandle, FileNode, VNode } from './vnode.js';

/** The most /comments holds. */
export const COMMENTS_MAX = 1024;

/** A directory whose entries can be hidden by unlink until they are created again (as tar does). */
abstract class Dir implements DirNode {
  readonly kind = 'dir';
  mtime = new Date();
  readonly hidden = new Set<string>();
  abstract mode: number;
  protected abstract names(): string[];
  protected abstract find(name: string): VNode | undefined;

  entries(): string[] {
    return this.names().filter((n) => !this.hidden.has(n));
  }

  lookup(name: string): VNode | undefined {
    return this.hidden.has(name) ? undefined : this.find(name);
  }

  /** The node of a name even when hidden (create brings it back). */
  lookupHidden(name: string): VNode | undefined {
    return this.find(name);
  }
}

/** The mount's file tree over a Project: paths to nodes, and what mkdir, rmdir, chmod, unlink and create mean. */
export class Tree {
  readonly root: RootDir;
  private readonly writers = new Map<InputStore, number>();

  constructor(readonly project: Project, readonly log: LiveStream, readonly extras: { config?: FileNode } = {}) {
    this.root = new RootDir(this);
    project.writersOpen = (store) => (this.writers.get(store) ?? 0) > 0;
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

  /** mkdir: `/NAME` makes an empty chain, `/NAME/STAGE` a stage with no command yet. */
  async mkdir(path: string): Promise<void> {
    const parts = split(path);
    if (parts.length === 1) {
      if (this.project.chains.has(parts[0])) throw new AudiofsError('EEXIST', 'mkdir', path);
      await this.project.createChain(parts[0], [], path);
      return;
    }
    if (parts.length === 2) {
      const chain = this.chainOf(parts[0], 'mkdir', path);
      if (chain.stage(parts[1])) throw new AudiofsError('EEXIST', 'mkdir', path);
      if (this.chainDir(chain).lookup(parts[1])) throw new AudiofsError('EEXIST', 'mkdir', path);
      this.project.addStage(chain, parts[1]);
      return;
    }
    throw new AudiofsError('EPERM', 'mkdir', path, 'only chains (/NAME) and stages (/NAME/STAGE) are directories');
  }

  /** rmdir: ends a chain or a stage (rm -r). */
  async rmdir(path: string): Promise<void> {
    const parts = split(path);
    if (parts.length === 1) {
      await this.project.removeChain(this.chainOf(parts[0], 'rmdir', path));
      return;
    }
    if (parts.length === 2) {
      const chain = this.chainOf(parts[0], 'rmdir', path);
      const stage = chain.stage(parts[1]);
      if (!stage) throw new AudiofsError('ENOENT', 'rmdir', path);
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
    this.project.onChange();
  }

  /** unlink: clears what a file stores and hides it until it is created again. */
  async unlink(path: string): Promise<void> {
    const { dir, name } = this.parentOf(path, 'unlink');
    const node = dir.lookup(name);
    if (!node) throw new AudiofsError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw new AudiofsError('EISDIR', 'unlink', path);
    await node.unlink();
    dir.hidden.add(name);
    dir.mtime = new Date();
    this.project.onChange();
  }

  /** create: brings back a file that unlink hid, or opens an existing one for writing. */
  async create(path: string): Promise<FileHandle> {
    const { dir, name } = this.parentOf(path, 'create');
    const node = dir.lookupHidden(name);
    if (!node) throw new AudiofsError('EPERM', 'create', path, `no file '${name}' belongs here (the files of the tree are fixed)`);
    if (node.kind === 'dir') throw new AudiofsError('EISDIR', 'create', path);
    dir.hidden.delete(name);
    if (node instanceof StreamFile || node instanceof SnapshotFile) return discardHandle();
    return node.open({ read: false, write: true, nonblocking: false, append: false, truncate: false });
  }

  /** @internal a writer opened or closed an `in` file */
  countWriters(store: InputStore, open: number): void {
    this.writers.set(store, open);
    // A closed writer may let a deferred save of this store go ahead.
    if (open === 0) this.project.onChange();
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
  storeFile(store: () => InputStore, onWrite: () => void): StoreFile {
    return new StoreFile({ store, onWrite, onWriters: (n) => this.countWriters(store(), n) });
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
  private readonly files: Record<string, FileNode>;

  constructor(private readonly tree: Tree) {
    super();
    const project = tree.project;
    const out = project.outputs;
    this.files = {
      ctl: new LineFile({ read: () => projectLines(project), apply: (l) => project.execRootLine(l) }),
      mixer: new LineFile({ read: () => project.mixerText(), apply: (l) => project.applyMixer(l) }),
      ...(tree.extras.config ? { config: tree.extras.config } : {}),
      status: new SnapshotFile(() => statusText(project)),
      log: new StreamFile(({ nonblocking }) => tree.log.openReader({
        nonblocking,
        initial: project.logger.recent().map((l) => Buffer.from(l)),
      })),
      comments: new StoreFile({ store: () => project.comments, maxSize: COMMENTS_MAX, onWrite: () => project.onChange() }),
      out: new StreamFile(({ nonblocking }) => out.out.openReader({ nonblocking })),
      'stream.mp3': new StreamFile(({ nonblocking }) => {
        const stream = out.stream;
        if (!stream) throw new AudiofsError('ENOENT', 'open', '/stream.mp3', 'no mp3 encoder is configured (mp3: off)');
        return stream.openReader({ nonblocking, atSync: true });
      }),
      channels: new SnapshotFile(() => project.channelsText()),
    };
  }

  protected names(): string[] {
    return [...Object.keys(this.files), ...this.tree.project.chains.keys()];
  }

  protected find(name: string): VNode | undefined {
    if (Object.hasOwn(this.files, name)) return this.files[name];
    const chain = this.tree.project.chains.get(name);
    return chain && this.tree.chainDir(chain);
  }
}

class ChainDir extends Dir {
  private readonly files: Record<string, FileNode>;

  constructor(private readonly tree: Tree, private readonly chain: Chain) {
    super();
    const project = tree.project;
    this.files = {
      in: tree.storeFile(() => chain.input, () => chain.run?.poke()),
      out: new StreamFile(({ nonblocking }) => chain.out.openReader({ nonblocking })),
      ctl: new LineFile({ read: () => chainSettings(chain), apply: (l) => project.execChainLine(chain, l) }),
      mixer: new LineFile({ read: () => project.mixerText(chain), apply: (l) => project.applyMixer(l, chain) }),
    };
  }

  get mode(): number { return this.chain.mode; }
  set mode(m: number) { this.chain.mode = m; }

  protected names(): string[] {
    return [...Object.keys(this.files), ...this.chain.stages.map((s) => s.name)];
  }

  protected find(name: string): VNode | undefined {
    if (Object.hasOwn(this.files, name)) return this.files[name];
    const stage = this.chain.stage(name);
    return stage && this.tree.stageDir(this.chain, stage);
  }
}

class StageDir extends Dir {
  private readonly files: Record<string, FileNode>;

  constructor(tree: Tree, private readonly chain: Chain, private readonly stage: Stage) {
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
        clear: () => { stage.sched = []; project.onChange(); },
      }),
      in: tree.storeFile(() => stage.input, () => chain.run?.inject(stage)),
      out: new StreamFile(({ nonblocking }) => stage.out.openReader({ nonblocking })),
      err: new SnapshotFile(() => stage.err.contents()),
    };
  }

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

function discardHandle(): FileHandle {
  return {
    read: async () => Buffer.alloc(0),
    write: async (_p, data) => data.length,
    flush: async () => undefined,
    release: async () => undefined,
  };
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}
