// The sequencer in the mount: the rendezvous in realtime, PCM and MIDI seek, loop seams, steps, live inputs, bad inputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { mountAudiofs, ROOT, run, sleep, soxSignal, waitFor, type TestMount, openBytes } from '../helpers/mount.js';
import { playAndRead, readLog } from '../helpers/live-read.js';
import { SHARED_MIDI } from '../helpers/shared.js';

const SECOND = 44100 * 4;
const CLAIRE = SHARED_MIDI + '/claire_de_lune.mid';
const RAW = '-t raw -r 44100 -e signed -b 16 -c 2';

let m: TestMount;
let input: Buffer;

before(async () => {
  m = await mountAudiofs();
  input = await readFile(await soxSignal(m.tmp, 'in.raw', ['6', 'sine', '220', 'sine', '331', 'vol', '0.5']));
});

after(async () => {
  assert.equal(await m.close(), 0);
});


function peak(pcm: Buffer): number {
  let p = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) p = Math.max(p, Math.abs(pcm.readInt16LE(i)));
  return p;
}

/** The largest jump between neighbouring frames of one channel. */
function maxJump(pcm: Buffer, from = 0, to = pcm.length): number {
  let j = 0;
  for (let i = from + 4; i + 1 < to; i += 2) j = Math.max(j, Math.abs(pcm.readInt16LE(i) - pcm.readInt16LE(i - 4)));
  return j;
}

async function removeAll(): Promise<void> {
  await m.ctl('stop');
  await m.ctl('loop off');
  for (const name of ['p', 'n', 'c', 'mid', 'live', 'bad', 'good']) await rm(m.path(name), { recursive: true, force: true });
}

test('the rendezvous holds in realtime: a signal and its inverse cancel in /out', async () => {
  await m.ctl('realtime on');
  await m.ctl('p cat');
  await m.ctl(`n sox -D -q ${RAW} - ${RAW} - vol -1`);
  await writeFile(m.path('p/in'), input);
  await writeFile(m.path('n/in'), input);
  try {
    // 4 s of /out, read whole: the time bound is for a hang (play may spend 3 s at the start gate on a loaded machine).
    const reading = await openBytes(m.path('out'), SECOND * 4, 30_000);
    await m.ctl('play');
    const out = await reading.data;
    assert.ok(peak(input) > 10000);
    // Both chains really played (silence in /out is no proof by itself).
    const chains = (yaml.load(await readFile(m.path('status'), 'utf8')) as { chains: Record<string, { out_bytes: number }> }).chains;
    assert.ok(chains.p.out_bytes >= 3 * SECOND && chains.n.out_bytes >= 3 * SECOND, `out_bytes of p ${chains.p.out_bytes}, of n ${chains.n.out_bytes}`);
    assert.ok(peak(out) <= 2, `a signal plus its inverse: peak ${peak(out)} in /out (expected near-silence)`);
  } finally {
    await removeAll();
  }
});

test('PCM seek is byte-exact: seek 1.5 then play gives the stored input from byte secondsToBytes(1.5)', async () => {
  await m.ctl('realtime off');
  await m.ctl('c cat');
  await writeFile(m.path('c/in'), input);
  try {
    await m.ctl('seek 1.5');
    const out = await playAndRead(m, 'c/out');
    assert.ok(out.equals(input.subarray(1.5 * SECOND)), `${out.length} bytes, expected ${input.length - 1.5 * SECOND}`);
  } finally {
    await m.ctl('seek 0');
    await removeAll();
  }
});

test('MIDI seek: a cat chain fed claire_de_lune.mid from T gives the notes at T onward, shifted by T (within 1 ms)', async () => {
  const T = 20;
  await m.ctl('realtime off');
  await m.ctl('mid cat');
  await m.ctl('type midi', 'mid/ctl');
  await writeFile(m.path('mid/in'), await readFile(CLAIRE));
  try {
    await m.ctl(`seek ${T}`);
    const sliced = join(m.tmp, 'sliced.mid');
    await writeFile(sliced, await playAndRead(m, 'mid/out'));
    const notes = async (file: string) => (await run('/usr/bin/python3', [join(ROOT, 'fixtures/midi-notes.py'), file])).stdout
      .trim().split('\n').map((l) => l.split('\t').map(Number));
    const original = (await notes(CLAIRE)).filter((n) => n[2] >= T - 1e-9).map(([k, p, s, e]) => [k, p, s - T, e - T]);
    const got = await notes(sliced);
    assert.equal(got.length, original.length, `${got.length} notes after the seek, expected ${original.length}`);
    for (let i = 0; i < got.length; i++) {
      assert.deepEqual(got[i].slice(0, 2), original[i].slice(0, 2), `note ${i}: track and pitch`);
      assert.ok(Math.abs(got[i][2] - original[i][2]) < 0.001 && Math.abs(got[i][3] - original[i][3]) < 0.001,
        `note ${i}: ${got[i].join(' ')} vs ${original[i].join(' ')}`);
    }
  } finally {
    await m.ctl('seek 0');
    await removeAll();
  }
});

test('loop A B plays the region over and over, without a click at the seam', async () => {
  await m.ctl('realtime off');
  await m.ctl('c cat');
  await writeFile(m.path('c/in'), input);
  await m.ctl('loop 1 1.75');
  const fh = await import('node:fs/promises').then((fs) => fs.open(m.path('out'), 'r'));
  try {
    await m.ctl('play');
    const PASS = SECOND * 0.75;
    const want = PASS * 3.5;
    const chunks: Buffer[] = [];
    let got = 0;
    while (got < want) {
      const b = Buffer.alloc(65536);
      const { bytesRead } = await fh.read(b, 0, b.length);
      if (bytesRead === 0) break;
      chunks.push(b.subarray(0, bytesRead));
      got += bytesRead;
    }
    const out = Buffer.concat(chunks);
    const region = input.subarray(SECOND, SECOND + PASS);
    const own = maxJump(region);
    for (let pass = 0; pass < 3; pass++) {
      const p = out.subarray(pass * PASS, (pass + 1) * PASS);
      // Away from the seams each pass is the region itself.
      const inner = 0.01 * SECOND;
      assert.ok(p.subarray(inner, PASS - inner).equals(region.subarray(inner, PASS - inner)), `pass ${pass} is the region 1..1.75 s`);
    }
    const seams = maxJump(out, 0, 3 * PASS);
    assert.ok(maxJump(Buffer.concat([region, region])) > own * 2, 'the region itself would click if just restarted');
    assert.ok(seams <= own, `largest jump across the passes ${seams}, the signal's own ${own}: no click at the seam`);
  } finally {
    await fh.close();
    await removeAll();
  }
});

test('steps 1 + step 2 plays exactly bar 2 (4/4 at 120 BPM: 2..4 s) and stops', async () => {
  await m.ctl('realtime off');
  await m.ctl('c cat');
  await writeFile(m.path('c/in'), input);
  try {
    await m.ctl('steps 1');
    const out = await playAndRead(m, 'out', 'step 2');
    assert.equal(out.length, 2 * SECOND, 'two seconds: one bar');
    const expected = input.subarray(2 * SECOND, 4 * SECOND);
    // Only the seams may be faded.
    const inner = 0.01 * SECOND;
    assert.ok(out.subarray(inner, out.length - inner).equals(expected.subarray(inner, expected.length - inner)), 'bar 2 of the input');
    await waitFor(async () => /transport: stopped/.test(await readFile(m.path('status'), 'utf8')), 'the transport to stop');
  } finally {
    await removeAll();
  }
});

test('a live input: data plays while being written, past its limit, and is heard in /out', async () => {
  // That what was fed is forgotten (memory stays flat) is checked without a mount, with forced GC: test/studio/live-input.test.ts.
  await m.ctl('realtime on');
  await m.ctl('live cat');
  await m.ctl('realtime on', 'live/ctl');
  const writer = createWriteStream(m.path('live/in'));
  writer.on('error', () => undefined);
  let written = 0;
  let writing = true;
  const pump = (async () => {
    const chunk = input.subarray(0, SECOND / 10);
    while (writing && !writer.destroyed) {
      if (!writer.write(chunk)) await new Promise<void>((r) => { writer.once('drain', () => r()); writer.once('close', () => r()); });
      written += chunk.length;
    }
  })();
  try {
    await m.ctl('play');
    // 6 s of /out: the time bound is for a hang; a loaded machine gets 30 s.
    const out = await (await openBytes(m.path('out'), 6 * SECOND, 30_000)).data;
    assert.ok(peak(out.subarray(3 * SECOND)) > 10000, 'the live data is heard in /out while being written');
    assert.ok(written > 4 * 256 * 1024, `the writer went on past the input's 256 KiB limit (${written} bytes)`);
  } finally {
    writing = false;
    await m.ctl('stop');
    writer.destroy();
    await pump.catch(() => undefined);
    await removeAll();
  }
});

test('malformed MIDI and WAV inputs: a clear /log line naming the chain and the fault; another chain plays on', async () => {
  await m.ctl('realtime off');
  await m.ctl('good cat');
  await writeFile(m.path('good/in'), input.subarray(0, SECOND));
  for (const [file, type, fault] of [
    ['truncated.mid', 'midi', /MIDI input/],
    ['bad-tempo-length.mid', 'midi', /MIDI input/],
    ['truncated-header.wav', 'wav', /WAV input/],
  ] as const) {
    await m.ctl('bad cat');
    await m.ctl(`type ${type}`, 'bad/ctl');
    await writeFile(m.path('bad/in'), await readFile(join(ROOT, 'fixtures/midi-bad', file)));
    await m.ctl('seek 0.5');
    const out = await playAndRead(m, 'out');
    assert.ok(out.equals(input.subarray(SECOND / 2, SECOND)), `${file}: the good chain plays on`);
    const log = await readLog(m);
    assert.match(log, new RegExp(`/bad/in: .*${fault.source}.*the chain gets no input`), `${file}: ${log.slice(-400)}`);
    await rm(m.path('bad'), { recursive: true });
  }
  await removeAll();
});
