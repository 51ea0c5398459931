import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelCache, type Attrs, type Invalidation } from '../../lib/vfs/kernel-cache.js';
import type { DirNode, FileNode, VNode } from '../../lib/vfs/vnode.js';
import { sleep } from '../helpers/mount.js';

/** A directory of named nodes that a test changes behind the cache's back. */
function dir(children: Record<string, VNode> = {}): DirNode & { children: Record<string, VNode> } {
  return { kind: 'dir', mode: 0o755, mtime: new Date(0), children, entries() { return Object.keys(this.children); }, lookup(n: string) { return this.children[n]; } };
}

function file(size: number): FileNode & { bytes: number } {
  const f = { kind: 'file', mode: 0o644, mtime: new Date(0), bytes: size, size: () => f.bytes };
  return f as unknown as FileNode & { bytes: number };
}

const attrs = (n: VNode): Attrs => ({ size: n.kind === 'file' ? n.size() : 4096, mode: n.mode, mtime: n.mtime.getTime(), ctime: n.mtime.getTime() });

function cacheOf(): { cache: KernelCache; sent: string[] } {
  const sent: string[] = [];
  const cache = new KernelCache(async (path: string, what: Invalidation) => void sent.push(`${what} ${path}`), attrs);
  return { cache, sent };
}

/** Tells the cache that the kernel looked up every path below `root` (parents first, as the kernel does). */
function tellAll(cache: KernelCache, root: DirNode, at = ''): void {
  for (const name of root.entries()) {
    const node = root.lookup(name)!;
    const path = `${at}/${name}`;
    cache.remember(path, node, root, attrs(node));
    if (node.kind === 'dir') {
      cache.rememberListing(path, node, node.entries());
      tellAll(cache, node, path);
    }
  }
}

test('nothing changed: nothing is taken back', async () => {
  const { cache, sent } = cacheOf();
  const root = dir({ a: dir({ cmd: file(4) }), ctl: file(10) });
  cache.remember('/', root, undefined, attrs(root));
  cache.rememberListing('/', root, root.entries());
  tellAll(cache, root);
  await cache.check();
  assert.deepEqual(sent, []);
  assert.equal(cache.size, 4);
});

test('a name that now names another node is taken back once, with nothing below it; a grown file its attributes; a changed listing its data', async () => {
  const { cache, sent } = cacheOf();
  const cmd = file(4);
  const root = dir({ a: dir({ s: dir({ cmd: file(4), err: file(0) }) }), b: dir({ cmd }), ctl: file(10) });
  cache.remember('/', root, undefined, attrs(root));
  cache.rememberListing('/', root, root.entries());
  tellAll(cache, root);
  // a made again (another node), b's cmd longer, a chain c added to the root's listing.
  root.children.a = dir({ s: dir({ cmd: file(4) }) });
  cmd.bytes = 7;
  root.children.c = dir();
  await cache.check();
  assert.deepEqual(sent.sort(), ['attrs /b/cmd', 'data /', 'entry /a'].sort());
  // What was below /a is forgotten; what the kernel learns again is remembered again.
  assert.equal(cache.size, 4);
  sent.length = 0;
  await cache.check();
  assert.deepEqual(sent, [], 'nothing twice');
});

test('a file whose readers closed is looked at again alone', async () => {
  const { cache, sent } = cacheOf();
  const f = file(3);
  const root = dir({ f });
  tellAll(cache, root);
  f.bytes = 5;
  await cache.recheck('/f');
  assert.deepEqual(sent, ['attrs /f']);
  await cache.recheck('/nothing');
  assert.deepEqual(sent, ['attrs /f']);
});

test('a path answered for another node than the one remembered keeps the old record, so the next check takes its name back', async () => {
  const { cache, sent } = cacheOf();
  const root = dir({ a: dir() });
  tellAll(cache, root);
  const again = dir();
  root.children.a = again;
  cache.remember('/a', again, root, attrs(again));
  await cache.check();
  assert.deepEqual(sent, ['entry /a']);
});

test('a top-level directory and what is below it are looked at only when its stamp moved; a top-level file every time', async () => {
  const sent: string[] = [];
  const stamps: Record<string, unknown[]> = { a: [1], b: [1] };
  let looked = 0;
  const attrsCounting = (n: VNode): Attrs => { looked++; return attrs(n); };
  const cache = new KernelCache(async (path, what) => void sent.push(`${what} ${path}`), attrsCounting, (name) => stamps[name]);
  const aCmd = file(4);
  const bCmd = file(4);
  const root = dir({ a: dir({ cmd: aCmd }), b: dir({ cmd: bCmd }), ctl: file(1) });
  tellAll(cache, root);
  looked = 0;
  // Changed below b, but only a's stamp moved: a is looked at (and has nothing to take back), b is not.
  bCmd.bytes = 9;
  stamps.a = [2];
  await cache.check();
  assert.deepEqual(sent, []);
  assert.equal(looked, 3, '/ctl, /a and /a/cmd');
  // b's stamp moves: its change is found.
  stamps.b = [2];
  await cache.check();
  assert.deepEqual(sent, ['attrs /b/cmd']);
});

/** A file that grows by itself and says so (a stage's err). */
function watchedFile(size: number): FileNode & { bytes: number; watchers: Set<() => void>; grow(n: number): void } {
  const watchers = new Set<() => void>();
  const f = {
    kind: 'file', mode: 0o440, mtime: new Date(0), bytes: size, watchers, size: () => f.bytes,
    watch(onChange: () => void) { watchers.add(onChange); return () => void watchers.delete(onChange); },
    grow(n: number) { f.bytes += n; for (const w of watchers) w(); },
  };
  return f as unknown as FileNode & { bytes: number; watchers: Set<() => void>; grow(n: number): void };
}

test('a file that says when it changes is taken back after each change, at most once per period and always after the last', async () => {
  const sent: string[] = [];
  const cache = new KernelCache(async (path: string, what: Invalidation) => void sent.push(`${what} ${path}`), attrs, () => undefined, { watchPeriodMs: 30 });
  const err = watchedFile(0);
  const stage = dir({ err });
  const root = dir({ a: dir({ sh: stage }) });
  cache.remember('/', root, undefined, attrs(root));
  tellAll(cache, root);
  assert.equal(err.watchers.size, 1, 'watched once the kernel holds it');
  err.grow(5);
  assert.deepEqual(sent, ['attrs /a/sh/err'], 'the first change after a quiet spell: at once');
  err.grow(5);
  err.grow(5);
  assert.equal(sent.length, 1, 'changes within the period wait');
  await sleep(60);
  assert.deepEqual(sent, ['attrs /a/sh/err', 'attrs /a/sh/err'], 'the last change: at the end of the period');
  // Asked for again by the kernel: no change, nothing sent.
  cache.remember('/a/sh/err', err, stage, attrs(err));
  await sleep(60);
  assert.equal(sent.length, 2);
  // An open waits for a pending change to be told.
  err.grow(1);
  err.grow(1);
  await cache.settled('/a/sh/err');
  assert.equal(sent.length, 4, 'settled: the pending change was told');
  // The stage dropped: the kernel forgets the name, and the file is no longer watched.
  delete (root.children.a as ReturnType<typeof dir>).children.sh;
  await cache.check();
  assert.deepEqual(sent.slice(4), ['entry /a/sh', 'data /a']);
  assert.equal(err.watchers.size, 0, 'unwatched once dropped');
  err.grow(1);
  await sleep(60);
  assert.equal(sent.length, 6, 'nothing told of a path the kernel no longer holds');
});
