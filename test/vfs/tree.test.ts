// The file tree over a Project, without a mount: paths, directory listings, what mkdir/rmdir/chmod/unlink/create/rename mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Logger } from '../../lib/base/logger.js';
import { Project } from '../../lib/studio/project.js';
import { Tree } from '../../lib/vfs/tree.js';
import { LogFile } from '../../lib/vfs/log-file.js';
import type { FileNode, OpenMode } from '../../lib/vfs/vnode.js';
import { FIXTURE_BIN, ROOT } from '../helpers/mount.js';

const WRITE: OpenMode = { read: false, write: true, nonblocking: false, nofollow: false, append: false, truncate: true };
const READ: OpenMode = { read: true, write: false, nonblocking: true, nofollow: false, append: false, truncate: false };

/** A project and its tree, with a logger whose lines the test sees; shut down after `body`. */
async function withTree(body: (tree: Tree, lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', now: () => new Date(0), echo: (l) => lines.push(l) });
  const path = [FIXTURE_BIN, process.env.PATH ?? '/usr/bin:/bin', join(ROOT, 'bin')].join(':');
  const project = new Project({ format: { rate: 44100, channels: 2 }, logger, cwd: ROOT, path, env: { ...process.env, PATH: path } });
  const tree = new Tree(project, new LogFile());
  try {
    await body(tree, lines);
  } finally {
    await project.shutdown();
  }
}

function file(tree: Tree, path: string): FileNode {
  const node = tree.resolve(path);
  assert.equal(node.kind, 'file', `${path} is a file`);
  return node as FileNode;
}

async function write(tree: Tree, path: string, text: string): Promise<void> {
  const h = await file(tree, path).open(WRITE);
  try {
    assert.equal(await h.write(0, Buffer.from(text)), Buffer.byteLength(text));
    await h.flush();
  } finally {
    await h.release();
  }
}

async function read(tree: Tree, path: string): Promise<string> {
  const h = await file(tree, path).open(READ);
  const parts: Buffer[] = [];
  try {
    for (let at = 0; ;) {
      const b = await h.read(at, 65536);
      if (b.length === 0) break;
      parts.push(b);
      at += b.length;
    }
  } finally {
    await h.release();
  }
  return Buffer.concat(parts).toString();
}

function entries(tree: Tree, path: string): string[] {
  const node = tree.resolve(path);
  assert.equal(node.kind, 'dir', `${path} is a directory`);
  return node.kind === 'dir' ? node.entries() : [];
}

test('a line written to /ctl makes a chain directory with its files and one directory per stage, in order', async () => {
  await withTree(async (tree) => {
    await write(tree, '/ctl', 'fx passthrough | passthrough -u\n');
    assert.equal(entries(tree, '/')[0], 'ctl');
    assert.ok(entries(tree, '/').includes('fx'));
    assert.ok(!entries(tree, '/').includes('config'), '/config is not listed');
    assert.deepEqual(entries(tree, '/fx'), ['in', 'out', 'ctl', 'mixer', 'passthrough', 'passthrough-u']);
    assert.equal(await read(tree, '/ctl'), 'fx passthrough | passthrough -u\n');
    assert.equal(await read(tree, '/fx/passthrough-u/cmd'), 'passthrough -u\n');
  });
});

test('mkdir makes an empty chain and a stage; writing cmd gives the stage its command; rmdir removes them', async () => {
  await withTree(async (tree) => {
    await tree.mkdir('/b');
    assert.deepEqual(entries(tree, '/b'), ['in', 'out', 'ctl', 'mixer']);
    await tree.mkdir('/b/s');
    await write(tree, '/b/s/cmd', 'passthrough\n');
    assert.equal(tree.project.chains.get('b')!.definition, 'passthrough');
    // A stage named by hand is not what the line 'b passthrough' would name it: /ctl leaves such a chain to its directory.
    assert.equal(await read(tree, '/ctl'), '');
    await assert.rejects(tree.mkdir('/b'), { code: 'EEXIST', op: 'mkdir', path: '/b' });
    await assert.rejects(tree.mkdir('/b/s/deeper'), { code: 'EPERM', op: 'mkdir', path: '/b/s/deeper' });
    await tree.rmdir('/b/s');
    assert.deepEqual(entries(tree, '/b'), ['in', 'out', 'ctl', 'mixer']);
    await tree.rmdir('/b');
    assert.throws(() => tree.resolve('/b'), { code: 'ENOENT', op: 'lookup', path: '/b' });
  });
});

test('resolve: ENOENT for a missing name, ENOTDIR through a file, each with the operation and the path', async () => {
  await withTree(async (tree) => {
    assert.throws(() => tree.resolve('/nope', 'getattr'), { code: 'ENOENT', op: 'getattr', path: '/nope' });
    assert.throws(() => tree.resolve('/ctl/x', 'getattr'), { code: 'ENOTDIR', op: 'getattr', path: '/ctl/x' });
  });
});

test('chmod u-rw on a stage bypasses it (its mode and state say so); u+rw puts it back', async () => {
  await withTree(async (tree) => {
    await write(tree, '/ctl', 'fx passthrough\n');
    const stage = tree.project.chains.get('fx')!.stage('passthrough')!;
    await tree.chmod('/fx/passthrough', 0o155);
    assert.deepEqual({ mode: tree.resolve('/fx/passthrough').mode & 0o777, bypassed: stage.bypassed, state: stage.state }, { mode: 0o155, bypassed: true, state: 'bypassed, not started' });
    await tree.chmod('/fx/passthrough', 0o755);
    assert.deepEqual({ mode: tree.resolve('/fx/passthrough').mode & 0o777, bypassed: stage.bypassed }, { mode: 0o755, bypassed: false });
  });
});

test('a user\'s file: create, write, read back, rename within the chain, unlink; its name is listed after audiofs\'s own', async () => {
  await withTree(async (tree) => {
    await tree.mkdir('/c');
    const h = await tree.create('/c/notes.txt', { mode: 0o640 });
    await h.write(0, Buffer.from('hello'));
    await h.flush();
    await h.release();
    assert.deepEqual(entries(tree, '/c'), ['in', 'out', 'ctl', 'mixer', 'notes.txt']);
    assert.equal(tree.resolve('/c/notes.txt').mode & 0o777, 0o640);
    await tree.rename('/c/notes.txt', '/c/readme.txt');
    assert.equal(await read(tree, '/c/readme.txt'), 'hello');
    assert.throws(() => tree.resolve('/c/notes.txt'), { code: 'ENOENT' });
    await tree.unlink('/c/readme.txt');
    assert.deepEqual(entries(tree, '/c'), ['in', 'out', 'ctl', 'mixer']);
    await assert.rejects(tree.rename('/c', '/d'), { code: 'EPERM', op: 'rename', path: '/c' });
  });
});

test('a ctl line renamed onto /ctl is applied as one validated write; an invalid one is refused with EINVAL and changes nothing', async () => {
  await withTree(async (tree, lines) => {
    const good = await tree.create('/new-ctl');
    await good.write(0, Buffer.from('g passthrough\n'));
    await good.flush();
    await good.release();
    await tree.rename('/new-ctl', '/ctl');
    assert.ok(tree.project.chains.has('g'));
    const bad = await tree.create('/bad-ctl');
    await bad.write(0, Buffer.from('h passthrough\nplya\n'));
    await bad.flush();
    await bad.release();
    await assert.rejects(tree.rename('/bad-ctl', '/ctl'), {
      code: 'EINVAL',
      path: '/ctl',
      message: "EINVAL: 'plya': unknown verb 'plya' (expected play, stop, pause, seek T, loop A B, loop off, steps BARS, step N, realtime on|off, export FILE [A B], collect on|off, trace on|off, or 'NAME cmd args | cmd args ...' to make a chain), write '/ctl'",
    });
    assert.deepEqual([...tree.project.chains.keys()], ['g']);
    assert.deepEqual(lines, ['1970-01-01T00:00:00.000Z info chain g made: passthrough\n'], 'nothing of the refused text was applied');
  });
});
