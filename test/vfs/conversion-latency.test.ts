// Converting a WAV input never stalls the mount: /status answers while a long WAV converts in a worker thread.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readSmf } from '../../lib/midi/smf.js';
import { join } from 'node:path';
import { mountAudiofs, run, sleep, waitFor, type TestMount } from '../helpers/mount.js';
import { readLog } from '../helpers/live-read.js';

let m: TestMount;

before(async () => {
  m = await mountAudiofs();
});

after(async () => {
  assert.equal(await m.close(), 0);
});

/** The resident memory of the mount process, in MB. */
async function rssMb(): Promise<number> {
  const status = await readFile(`/proc/${m.proc.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** How long each read of /status and listing of the root (`ls`) take, every 20 ms, until `until` resolves; and the largest RSS seen. */
async function statusLatencies(until: Promise<unknown>): Promise<{ times: number[]; rss: number }> {
  let done = false;
  void until.finally(() => (done = true));
  const times: number[] = [];
  let rss = 0;
  while (!done) {
    const t = performance.now();
    await readFile(m.path('status'), { signal: AbortSignal.timeout(5000) });
    await readdir(m.dir);
    times.push(performance.now() - t);
    rss = Math.max(rss, await rssMb());
    await sleep(20);
  }
  return { times, rss };
}

/** The value below which a share `p` of the sorted `xs` lie. */
function percentile(xs: number[], p: number): number {
  return xs[Math.min(xs.length - 1, Math.floor(xs.length * p))];
}

test('a 10-minute 8 kHz WAV converted for export: /status reads and ls answer within 100 ms (1 in 20 may take up to 500 ms), the export is whole', async () => {
  const wav = join(m.tmp, 'long.wav');
  await run('sox', ['-D', '-q', '-n', '-r', '8000', '-c', '1', '-b', '16', wav, 'synth', '600', 'sine', '440', 'vol', '0.5']);
  await m.ctl('w cat');
  await writeFile(m.path('w/in'), await readFile(wav));
  const out = join(m.tmp, 'long.raw');
  const rssBefore = await rssMb();
  const t0 = performance.now();
  // /status is read from before the export line is written: the write itself may be where the conversion happens.
  const exported = (async () => {
    await m.ctl(`export ${out} 0 600`);
    await waitFor(async () => /export:\n\s+file: .*\n\s+state: done/.test(await readFile(m.path('status'), 'utf8')), 'the export to end', 120_000);
  })();
  const { times: latencies, rss } = await statusLatencies(exported);
  await exported;
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const max = latencies.at(-1)!;
  const median = latencies[latencies.length >> 1];
  const p95 = percentile(latencies, 0.95);
  console.log(`# /status + ls during the conversion: ${latencies.length} reads, median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms; export took ${seconds.toFixed(1)} s; RSS ${rssBefore.toFixed(0)} -> ${rss.toFixed(0)} MB at most`);
  assert.ok(latencies.length >= 10, `${latencies.length} reads of /status during the export`);
  assert.ok(p95 < 100, `1 /status read in 20 took ${p95.toFixed(0)} ms or more (issue 14: within 100 ms)`);
  assert.ok(max < 500, `the slowest /status read took ${max.toFixed(0)} ms`);
  assert.ok(rss - rssBefore < 150, `RSS grew from ${rssBefore.toFixed(0)} to ${rss.toFixed(0)} MB (the converted file is 106 MB: it must not be held in memory)`);
  const pcm = await readFile(out);
  assert.equal(pcm.length, 600 * 44100 * 4, 'the whole 10 minutes were exported');
  const { stdout } = await run('sox', ['-D', wav, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-r', '44100', '-c', '2', '-'], { encoding: 'buffer', maxBuffer: 1 << 28 });
  const oracle = stdout as unknown as Buffer;
  assert.equal(oracle.length, pcm.length, 'sox converts to the same length');
  // The two resamplers' filters meet the tone's abrupt start and end differently: 20 ms at each end are left out.
  const edge = 0.02 * 44100 * 4;
  let worst = 0;
  for (let i = edge; i < pcm.length - edge; i += 2) worst = Math.max(worst, Math.abs(pcm.readInt16LE(i) - oracle.readInt16LE(i)));
  assert.ok(worst <= 3, `the export differs from sox's conversion by up to ${worst} LSB`);
  assert.doesNotMatch(await readLog(m), /WAV input/);
});

/** A one-track MIDI file of `notes` short notes, 16 ticks apart at 480 ticks a beat. */
function manyNotes(notes: number): Buffer {
  const body = Buffer.alloc(notes * 8 + 4);
  for (let i = 0; i < notes; i++) body.set([0x10, 0x90, 60 + (i % 12), 100, 0x10, 0x80, 60 + (i % 12), 0], i * 8);
  body.set([0, 0xff, 0x2f, 0], notes * 8);
  const head = Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 0]);
  head.writeUInt32BE(body.length, 18);
  return Buffer.concat([head, body]);
}

test('a MIDI input of 660,000 events sliced for a seek: /status and ls answer within 100 ms (1 in 20 may take up to 500 ms) while it is parsed', async () => {
  await m.ctl('realtime off');
  await m.ctl('mid cat');
  const song = manyNotes(330_000);
  await writeFile(m.path('mid/in'), song);
  try {
    await m.ctl('seek 10');
    const t0 = performance.now();
    const played = (async () => {
      const reading = readFile(m.path('mid/out'));
      await m.ctl('play');
      return reading;
    })();
    const { times } = await statusLatencies(played);
    const slice = await played;
    times.sort((a, b) => a - b);
    console.log(`# /status + ls while slicing: ${times.length} reads, median ${times[times.length >> 1].toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms; play to the end of mid/out ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(percentile(times, 0.95) < 100, `1 /status read in 20 took ${percentile(times, 0.95).toFixed(0)} ms or more (issue 14: within 100 ms)`);
    assert.ok(times.at(-1)! < 500, `the slowest /status read took ${times.at(-1)!.toFixed(0)} ms`);
    // Every note starts 32 ticks after the last (120 BPM, 480 a beat: 1/30 s): from 10 s, 300 notes are gone.
    const smf = readSmf(slice);
    const ons = smf.tracks[0].filter((e) => e.kind === 'channel' && e.status === 0x90);
    assert.equal(ons.length, 330_000 - 300);
  } finally {
    await m.ctl('seek 0');
    await rm(m.path('mid'), { recursive: true });
  }
});
