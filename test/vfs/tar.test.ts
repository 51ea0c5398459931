import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { comparable, treeSnapshot } from '../helpers/tree-snapshot.js';
import { join } from 'node:path';
import { entriesInOrder, mountAudiofs, run, soxSignal, waitFor, type TestMount, openReader } from '../helpers/mount.js';

const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';
const SOX = (effect: string) => `sox -D -q ${RAW} - ${RAW} - ${effect}`;
/** Plays (export mode) and returns what readers of each chain's out got. */
async function render(m: TestMount, chains: string[]): Promise<Buffer[]> {
  const readers = await Promise.all(chains.map((c) => openReader(m.path(c, 'out'))));
  await m.ctl('play');
  const outs = await Promise.all(readers.map((r) => r.all));
  await waitFor(async () => /transport: stopped/.test(await readFile(m.path('status'), 'utf8')), 'the transport to stop');
  return outs;
}

test('tar cf of a project and tar xf into a fresh mount restore it exactly and render the same bytes', async () => {
  const a = await mountAudiofs();
  let b: TestMount | undefined;
  try {
    const input = await soxSignal(a.tmp, 'in.raw', ['2', 'sine', '300', 'pinknoise', 'mix']);
    const inject = await soxSignal(a.tmp, 'inject.raw', ['1', 'sine', '500']);
    await a.ctl('realtime off');
    await a.ctl(`fx ${SOX('vol 0.5')} | ${SOX('lowpass 2000')} | passthrough`);
    const lowpass = (await entriesInOrder(a.path('fx'))).find((n) => n.endsWith('-lowpass'))!;
    await chmod(a.path('fx', lowpass), 0o155);
    await writeFile(a.path('fx/in'), await readFile(input));
    await a.ctl('nice 5', 'fx/passthrough/sched');
    await a.ctl('volume 0.5', 'fx/mixer');
    await a.ctl('type pcm', 'fx/ctl');
    // A chain no ctl line reproduces: made with mkdir, a stage named by hand.
    await mkdir(a.path('odd'));
    await mkdir(a.path('odd/mine'));
    await a.ctl('passthrough', 'odd/mine/cmd');
    await writeFile(a.path('odd/mine/in'), await readFile(inject));
    await a.ctl('pan -0.5', 'odd/mixer');
    await a.ctl('volume 0.8', 'mixer');
    await writeFile(a.path('comments'), 'take 3: the good one\n');
    const archive = join(a.tmp, 'p.tar');
    await run('tar', ['cf', archive, '-C', a.dir, '.']);

    b = await mountAudiofs();
    await run('tar', ['xf', archive, '-C', b.dir]);
    const want = await treeSnapshot(a.dir);
    assert.deepEqual(comparable(await treeSnapshot(b.dir)), comparable(want));
    assert.equal(want.get(`fx/${lowpass}/`)?.mode, 0o155);
    assert.equal(Buffer.from(want.get('ctl')!.content!, 'base64').toString().split('\n')[0], 'realtime off');
    assert.deepEqual(await readFile(b.path('status'), 'utf8').then((s) => /pid: \d/.test(s)), false, 'no process started during extraction');

    const [fxA, oddA] = await render(a, ['fx', 'odd']);
    const [fxB, oddB] = await render(b, ['fx', 'odd']);
    assert.ok(fxA.length > 0 && oddA.length === (await stat(inject)).size);
    assert.ok(fxA.equals(fxB), 'fx renders differently after the round trip');
    assert.ok(oddA.equals(oddB), 'odd renders differently after the round trip');
  } finally {
    await b?.close();
    await a.close();
  }
});

test('tar cf of a playing mount completes within seconds, and tar xf restores it without playing', async () => {
  const m = await mountAudiofs();
  const n = await mountAudiofs();
  try {
    await m.ctl('tone audiofs-tone 440');
    await m.ctl('play');
    await waitFor(async () => /transport: playing/.test(await readFile(m.path('status'), 'utf8')), 'play');
    const archive = join(m.tmp, 'live.tar');
    const t0 = Date.now();
    await run('tar', ['cf', archive, '-C', m.dir, '.'], { timeout: 10_000 });
    assert.ok(Date.now() - t0 < 5000, `tar cf took ${Date.now() - t0} ms`);
    const { stdout } = await run('tar', ['tvf', archive]);
    assert.match(stdout, /\.\/tone\/audiofs-tone\/cmd/);
    await run('tar', ['xf', archive, '-C', n.dir]);
    assert.equal(await readFile(n.path('ctl'), 'utf8'), 'tone audiofs-tone 440\n');
    assert.match(await readFile(n.path('status'), 'utf8'), /transport: stopped/);
  } finally {
    await n.close();
    await m.close();
  }
});
