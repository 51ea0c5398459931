import type { DirNode, VNode } from './vnode.js';

/** How long the kernel may keep a name and the attributes of a file that changes only when the project does (s). */
export const KERNEL_CACHE_S = 5;

/** What stat reports of a node: what the kernel keeps and must be told about when it changes. */
export interface Attrs {
  size: number;
  mode: number;
  /** Times in ms. */
  mtime: number;
  ctime: number;
}

/** What the kernel may be told to take back of a path. */
export type Invalidation = 'entry' | 'attrs' | 'data';

/** A path whose name and attributes the kernel was given to keep. */
interface Told {
  node: VNode;
  /** Its directory then (the node it was found in). */
  parent: DirNode | undefined;
  name: string;
  /** Where its directory is, for the test of what was dropped above it. */
  parentPath: string;
  attrs: Attrs;
}

/** A directory whose listing the kernel was given to keep. */
interface Listed {
  node: DirNode;
  names: string[];
}

/**
 * What the kernel holds of the tree, and what to take back when the tree changes behind it (a ctl line makes,
 * drops or redefines chains and stages, a mixer line changes a chain's mixer text).
 *
 * The kernel keeps a name and its attributes for KERNEL_CACHE_S once getattr answered it, and a directory's
 * listing once readdir answered it, so `stat` and `ls -R` run without asking audiofs. Every path answered so is
 * remembered with the node and the attributes or names given; after a change, each is looked at again: a path
 * that now names another node (or nothing) has its name taken back (the kernel drops what it held below it
 * too), a node whose size, mode or times moved has its attributes taken back, a directory whose names changed
 * its listing. A file that changes by itself (`live`: /log, /status, `err`) is answered with a zero timeout and
 * never remembered. A change made through the kernel (mkdir, rm, chmod, a write) the kernel already knows.
 */
export class KernelCache {
  /** In the order the kernel learned them: a directory always before what is below it. */
  private readonly told = new Map<string, Told>();
  private readonly listed = new Map<string, Listed>();

  /**
   * `invalidate` takes back a path's name (`entry`) or its attributes, resolving once the kernel was told;
   * `attrs` gives what stat would report of a node now.
   */
  constructor(private readonly invalidate: (path: string, what: Invalidation) => Promise<void>, private readonly attrs: (node: VNode) => Attrs) {}

  /** How many paths the kernel may hold. */
  get size(): number {
    return this.told.size;
  }

  /**
   * getattr of `path` answered `attrs` of `node`, found in `parent`: the kernel may keep them. A path already
   * known for another node keeps its old record, so that the next check takes the name back.
   */
  remember(path: string, node: VNode, parent: DirNode | undefined, attrs: Attrs): void {
    const known = this.told.get(path);
    if (known) {
      if (known.node === node) known.attrs = attrs;
      return;
    }
    this.told.set(path, { node, parent, name: path.slice(path.lastIndexOf('/') + 1), parentPath: parentOf(path), attrs });
  }

  /** readdir of `path` answered `names` of `node`: the kernel keeps the listing. */
  rememberListing(path: string, node: DirNode, names: string[]): void {
    this.listed.set(path, { node, names });
  }

  /**
   * Looks at every remembered path again and takes back from the kernel what changed: resolves once the
   * kernel was told (at once when nothing changed).
   */
  check(): Promise<void> {
    const sent: Promise<void>[] = [];
    const dropped = new Set<string>();
    for (const [path, t] of this.told) {
      if (dropped.has(t.parentPath)) {
        // The kernel dropped everything below a name taken back.
        dropped.add(path);
        this.told.delete(path);
        continue;
      }
      if (t.parent && t.parent.lookup(t.name) !== t.node) {
        dropped.add(path);
        this.told.delete(path);
        // The kernel may find the directory's inode again under the same name: its listing goes first.
        if (this.listed.delete(path)) sent.push(this.invalidate(path, 'data'));
        sent.push(this.invalidate(path, 'entry'));
        continue;
      }
      sent.push(...this.compare(path, t));
    }
    for (const [path, l] of this.listed) {
      if (dropped.has(path) || dropped.has(parentOf(path))) {
        this.listed.delete(path);
        continue;
      }
      const names = l.node.entries();
      if (sameNames(names, l.names)) continue;
      l.names = names;
      sent.push(this.invalidate(path, 'data'));
    }
    return settle(sent);
  }

  /** Looks at one path again (a file whose readers closed: its size is its text's again). */
  recheck(path: string): Promise<void> {
    const t = this.told.get(path);
    return t ? settle(this.compare(path, t)) : Promise.resolve();
  }

  private compare(path: string, t: Told): Promise<void>[] {
    const now = this.attrs(t.node);
    if (sameAttrs(now, t.attrs)) return [];
    t.attrs = now;
    return [this.invalidate(path, 'attrs')];
  }
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

function sameNames(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameAttrs(a: Attrs, b: Attrs): boolean {
  return a.size === b.size && a.mode === b.mode && a.mtime === b.mtime && a.ctime === b.ctime;
}

async function settle(sent: Promise<void>[]): Promise<void> {
  if (sent.length > 0) await Promise.all(sent);
}
