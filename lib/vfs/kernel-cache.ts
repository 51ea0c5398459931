import { Throttle } from './throttle.js';
import type { DirNode, VNode } from './vnode.js';

/** How long the kernel may keep a name and the attributes of a file that changes only when the project does (s). */
export const KERNEL_CACHE_S = 30;

/**
 * How often at most the attributes of one file that says when it changes (a stage's err) are looked at again
 * (ms): a stage writing stderr in many small pieces costs one look per period, and the last change is always
 * looked at, at most this long after it.
 */
export const WATCH_PERIOD_MS = 50;

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
  /** A `versioned` file's attributes were taken back and the kernel has not asked for them since. */
  stale?: boolean;
  /** A file that says when it changes: looked at again (throttled) after each change, while remembered. */
  watch?: { throttle: Throttle; unwatch: () => void };
}

/** A directory whose listing the kernel was given to keep. */
interface Listed {
  node: DirNode;
  names: string[];
}

/** Entries and listings below one top-level directory (a chain), looked at only when its stamp moved. */
interface Group {
  stamp: readonly unknown[] | undefined;
  told: Map<string, Told>;
  listed: Map<string, Listed>;
}

/**
 * What the kernel holds of the tree, and what to take back when the tree changes behind it (a ctl line makes,
 * drops or redefines chains and stages, a mixer line changes a chain's mixer text).
 *
 * The kernel keeps a name and its attributes for KERNEL_CACHE_S once getattr answered it, and a directory's
 * listing once readdir answered it, so `stat` and `ls -R` run without asking audiofs. Every path answered so is
 * remembered with the node and the attributes or names given; after a change, each is looked at again: a path
 * that now names another node (or nothing) has its name taken back (with the attributes and listings of what
 * the kernel holds below it: vendor/fuse-native patch 5), a node whose size, mode or times moved has its attributes taken back, a directory whose names changed
 * its listing; a file whose text nearly every change changes (`versioned`: /ctl) has its attributes taken
 * back at each change, without comparing. A file that changes by itself without notice (`live`: /log,
 * /status) is answered with a zero timeout and never remembered; one that says when it changes (`watch`: a
 * stage's err) is remembered and looked at again after each change, at most once per WATCH_PERIOD_MS and
 * always after the last one. A change made through the kernel (mkdir, rm, chmod, a write) the kernel already
 * knows.
 *
 * A check costs what changed, not what the kernel holds: what is below a top-level directory (a chain's
 * files, stages and theirs) is looked at only when that directory's stamp moved (`stampOf`: the identities
 * and values its attributes and listings are made from); the top level is looked at every time.
 */
export class KernelCache {
  /** `/` and the top level, in the order the kernel learned them. */
  private readonly top = new Map<string, Told>();
  private rootListing: Listed | undefined;
  /** What is below each top-level name, in the order the kernel learned it: a directory before what it holds. */
  private readonly groups = new Map<string, Group>();

  /**
   * `invalidate` takes back a path's name, attributes or listing, resolving once the kernel was told; `attrs`
   * gives what stat would report of a node now; `stampOf` what the attributes and listings below a top-level
   * name are made from (undefined: looked at every time).
   */
  constructor(
    private readonly invalidate: (path: string, what: Invalidation) => Promise<void>,
    private readonly attrs: (node: VNode) => Attrs,
    private readonly stampOf: (name: string) => readonly unknown[] | undefined = () => undefined,
    private readonly options: { watchPeriodMs?: number; failed?: (err: unknown) => void } = {},
  ) {}

  /** How many paths the kernel may hold. */
  get size(): number {
    let n = this.top.size;
    for (const g of this.groups.values()) n += g.told.size;
    return n;
  }

  /**
   * getattr of `path` answered `attrs` of `node`, found in `parent`: the kernel may keep them. A path already
   * known for another node keeps its old record, so that the next check takes the name back.
   */
  remember(path: string, node: VNode, parent: DirNode | undefined, attrs: Attrs): void {
    const group = this.groupOf(path);
    const told = group ? group.told : this.top;
    const known = told.get(path);
    if (known) {
      if (known.node === node) {
        known.attrs = attrs;
        known.stale = false;
      }
      return;
    }
    const t: Told = { node, parent, name: path.slice(path.lastIndexOf('/') + 1), parentPath: parentOf(path), attrs };
    told.set(path, t);
    if (node.kind === 'file' && node.watch) {
      const throttle = new Throttle(() => this.lookAgain(path, t), this.options.watchPeriodMs ?? WATCH_PERIOD_MS);
      t.watch = { throttle, unwatch: node.watch(() => throttle.ask()) };
    }
    // A top-level directory's own attributes are looked at with what is below it, when its stamp moved.
    if (!group && node.kind === 'dir' && path !== '/') this.groupOf(path, true);
  }

  /** readdir of `path` answered `names` of `node`: the kernel keeps the listing. */
  rememberListing(path: string, node: DirNode, names: string[]): void {
    if (path === '/' || path === '') this.rootListing = { node, names };
    else this.groupOf(path, true)!.listed.set(path, { node, names });
  }

  /**
   * Looks at what the kernel holds again and takes back what changed: resolves once the kernel was told (at
   * once when nothing changed).
   */
  check(): Promise<void> {
    const sent: Promise<void>[] = [];
    for (const [path, t] of this.top) {
      if (t.parent && t.parent.lookup(t.name) !== t.node) {
        this.top.delete(path);
        forget(t);
        // Taking the name back takes back what the kernel holds below it too (attributes and listings).
        const group = this.groups.get(t.name);
        if (group) for (const below of group.told.values()) forget(below);
        this.groups.delete(t.name);
        sent.push(this.invalidate(path, 'entry'));
        continue;
      }
      if (t.node.kind !== 'dir' || !this.groups.has(t.name)) sent.push(...this.compare(path, t));
    }
    if (this.rootListing) sent.push(...this.compareListing('/', this.rootListing));
    for (const [name, group] of this.groups) {
      const stamp = this.stampOf(name);
      if (stamp !== undefined && group.stamp !== undefined && sameValues(stamp, group.stamp)) continue;
      group.stamp = stamp;
      const own = this.top.get(`/${name}`);
      if (own?.node.kind === 'dir') sent.push(...this.compare(`/${name}`, own));
      this.checkGroup(group, sent);
    }
    return settle(sent);
  }

  /**
   * Resolves once the kernel was told the last change of a file that says when it changes (at once for any
   * other path): what an open reads then agrees with the size stat gives.
   */
  settled(path: string): Promise<void> {
    const t = this.toldOf(path);
    return t?.watch ? t.watch.throttle.flush() : Promise.resolve();
  }

  /** Forgets every path (the mount ends): no file is watched any more. */
  close(): void {
    for (const t of this.top.values()) forget(t);
    for (const g of this.groups.values()) for (const t of g.told.values()) forget(t);
    this.top.clear();
    this.groups.clear();
  }

  /** Looks at one path again (a file whose readers closed: its size is its text's again). */
  recheck(path: string): Promise<void> {
    const t = (this.groupOf(path)?.told ?? this.top).get(path);
    return t ? settle(this.compare(path, t)) : Promise.resolve();
  }

  /** A watched file changed: its attributes are taken back if they moved, while the kernel may hold them. */
  private async lookAgain(path: string, t: Told): Promise<void> {
    if (this.toldOf(path) !== t) return;
    try {
      await settle(this.compare(path, t));
    } catch (err) {
      this.options.failed?.(err);
    }
  }

  private checkGroup(group: Group, sent: Promise<void>[]): void {
    const dropped = new Set<string>();
    for (const [path, t] of group.told) {
      if (dropped.has(t.parentPath)) {
        // Taken back with the name above it.
        dropped.add(path);
        group.told.delete(path);
        forget(t);
        continue;
      }
      if (t.parent && t.parent.lookup(t.name) !== t.node) {
        dropped.add(path);
        group.told.delete(path);
        forget(t);
        group.listed.delete(path);
        sent.push(this.invalidate(path, 'entry'));
        continue;
      }
      sent.push(...this.compare(path, t));
    }
    for (const [path, l] of group.listed) {
      if (dropped.has(path) || dropped.has(parentOf(path))) group.listed.delete(path);
      else sent.push(...this.compareListing(path, l));
    }
  }

  /** What the kernel was told of a path, if anything (makes no group). */
  private toldOf(path: string): Told | undefined {
    const second = path.indexOf('/', 1);
    if (second < 0) return this.top.get(path);
    return this.groups.get(path.slice(1, second))?.told.get(path);
  }

  /** The group of a path below a top-level name (made when `make` or for a path below the top level). */
  private groupOf(path: string, make = false): Group | undefined {
    const second = path.indexOf('/', 1);
    if (second < 0 && !make) return undefined;
    const name = path.slice(1, second < 0 ? undefined : second);
    let group = this.groups.get(name);
    // Made for a name the top level does not hold (a lookup that crossed the name's invalidation): looked at
    // whole at the next check, whatever the stamp.
    const stamp = this.top.has(`/${name}`) ? this.stampOf(name) : undefined;
    if (!group) this.groups.set(name, (group = { stamp, told: new Map(), listed: new Map() }));
    return group;
  }

  private compare(path: string, t: Told): Promise<void>[] {
    if (t.node.kind === 'file' && t.node.versioned) {
      // Taken back at each change, once until the kernel asks again.
      if (t.stale) return [];
      t.stale = true;
      return [this.invalidate(path, 'attrs')];
    }
    const now = this.attrs(t.node);
    if (sameAttrs(now, t.attrs)) return [];
    t.attrs = now;
    return [this.invalidate(path, 'attrs')];
  }

  private compareListing(path: string, l: Listed): Promise<void>[] {
    const names = l.node.entries();
    if (sameValues(names, l.names)) return [];
    l.names = names;
    return [this.invalidate(path, 'data')];
  }
}

/** Stops watching a path's file: the kernel no longer holds it. */
function forget(t: Told): void {
  t.watch?.throttle.cancel();
  t.watch?.unwatch();
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
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
