import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entriesInOrder, mountAudiofs, sleep, soxSignal, type TestMount } from '../helpers/mount.js';
import { comparable, treeSnapshot } from '../helpers/tree-snapshot.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;

/** Makes a project with every kind of state: chains, bypass, sched, mixers, inputs, chain settings, transport, comments. */
async function makeProject(m: TestMount, bigInput: Buffer, stageInput: Buffer): Promise<void> {
  await m.ctl('realtime off');
  await m.ctl('loop 1 3');
  await m.ctl(`fx ${SOX('vol 0.5')} | ${SOX('lowpass 2000')} | passthrough`);
  const lowpass = (await entriesInOrder(m.path('fx'))).find((n) => n.endsWith('-lowpass'))!;
  await chmod(m.path('fx', lowpass), 0o155);
  await writeFile(m.path('fx/in'), bigInput);
  await m.ctl('nice 5', 'fx/passthrough/sched');
  await m.ctl('volume -6dB', 'fx/mixer');
  await m.ctl('type pcm', 'fx/ctl');
  await mkdir(m.path('odd'));
  await mkdir(m.path('odd/mine'));
  await m.ctl('passthrough', 'odd/mine/cmd');
  await writeFile(m.path('odd/mine/in'), stageInput);
  await m.ctl('pan 0.25', 'odd/mixer');
  await m.ctl('mute on', 'mixer');
  await writeFile(m.path('comments'), 'keep the echo\n');
}

async function withStateDir(f: (stateDir: string, config: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'audiofs-state-'));
  try {
    await f(join(root, 'state'), `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${join(root, 'state')}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('unmount and mount again on the same state directory: the whole project is back, nothing playing', async () => {
  await withStateDir(async (stateDir, config) => {
    const a = await mountAudiofs({ config });
    const big = await readFile(await soxSignal(a.tmp, 'big.raw', ['110', 'sine', '300'])); // 19 MB: spilled to disk
    const small = Buffer.from('not audio, just bytes\n');
    let want;
    try {
      await makeProject(a, big, small);
      want = await treeSnapshot(a.dir);
    } finally {
      assert.equal(await a.close(), 0);
    }
    const saved = JSON.parse(await readFile(join(stateDir, 'project.json'), 'utf8'));
    assert.deepEqual(saved.chains.map((c: { name: string }) => c.name), ['fx', 'odd']);
    assert.deepEqual((await readdir(join(stateDir, 'spill/saved'))).sort(), ['1.in', '2.in']);
    const b = await mountAudiofs({ config });
    try {
      assert.deepEqual(comparable(await treeSnapshot(b.dir)), comparable(want));
      assert.equal(await readFile(b.path('ctl'), 'utf8'), `realtime off\nloop 1 3\nfx ${SOX('vol 0.5')} | ${SOX('lowpass 2000')} | passthrough\n`);
      assert.equal(await readFile(b.path('mixer'), 'utf8'), 'volume 1\nmute on\n');
      assert.equal(await readFile(b.path('fx/passthrough/sched'), 'utf8'), 'nice 5\n');
      const status = await readFile(b.path('status'), 'utf8');
      assert.match(status, /transport: stopped/);
      assert.doesNotMatch(status, /pid: \d/);
      // A change after the restore is saved too: rm -r a chain, mount again, it stays gone and its input file goes.
      await rm(b.path('odd'), { recursive: true });
    } finally {
      assert.equal(await b.close(), 0);
    }
    assert.deepEqual(await readdir(join(stateDir, 'spill/saved')), ['1.in']);
    const c = await mountAudiofs({ config });
    try {
      assert.deepEqual((await entriesInOrder(c.dir)).filter((n) => n === 'fx' || n === 'odd'), ['fx']);
      assert.ok((await readFile(c.path('fx/in'))).equals(big));
    } finally {
      assert.equal(await c.close(), 0);
    }
  });
});

test('SIGKILL of the mount process, then a new mount on the same directory: the project is back', async () => {
  await withStateDir(async (_stateDir, config) => {
    const mountpoint = join(await mkdtemp(join(tmpdir(), 'audiofs-mnt-')), 'mnt');
    const a = await mountAudiofs({ config, mountpoint });
    let b: TestMount | undefined;
    try {
      const input = await readFile(await soxSignal(a.tmp, 'in.raw', ['1', 'sine', '440']));
      await makeProject(a, input, Buffer.from('x'));
      const want = await treeSnapshot(a.dir);
      await sleep(500); // past the save's quiet time
      const exited = new Promise((r) => a.proc.once('exit', r));
      a.proc.kill('SIGKILL');
      await exited;
      b = await mountAudiofs({ config, mountpoint });
      assert.deepEqual(comparable(await treeSnapshot(b.dir)), comparable(want));
      assert.doesNotMatch(await readFile(b.path('status'), 'utf8'), /pid: \d/, 'no process started by the restore');
    } finally {
      if (b) assert.equal(await b.close(), 0);
      await rm(a.tmp, { recursive: true, force: true });
      await rm(join(mountpoint, '..'), { recursive: true, force: true });
    }
  });
});

test('a second mount on the same state directory is refused while the first runs, and leaves the first intact', { timeout: 60_000 }, async () => {
  await withStateDir(async (stateDir, config) => {
    const a = await mountAudiofs({ config });
    try {
      await a.ctl('keep passthrough');
      await assert.rejects(mountAudiofs({ config }), /state_dir is in use by audiofs process \d+/);
      assert.equal(await readFile(a.path('ctl'), 'utf8'), 'keep passthrough\n');
      await a.ctl('later passthrough');
    } finally {
      assert.equal(await a.close(), 0);
    }
    const saved = JSON.parse(await readFile(join(stateDir, 'project.json'), 'utf8'));
    assert.deepEqual(saved.chains.map((c: { name: string }) => c.name), ['keep', 'later'], 'the refused mount saved nothing over the first');
    const b = await mountAudiofs({ config });
    try {
      assert.equal(await readFile(b.path('ctl'), 'utf8'), 'keep passthrough\nlater passthrough\n');
    } finally {
      assert.equal(await b.close(), 0);
    }
  });
});
