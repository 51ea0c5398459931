import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../lib/mix/engine.js';
import { VirtualClock } from '../../lib/mix/clock.js';
import { FifoSource } from '../../lib/mix/fifo-source.js';
import { DEFAULT_FORMAT, framesToBytes, secondsToFrames } from '../../lib/base/pcm-format.js';
import { bufferSource, MemorySink } from './helpers.js';
import { formatChannelMap } from '../../lib/mix/trace.js';

const F = DEFAULT_FORMAT;

/** Deterministic non-silent PCM: frame i, channel c holds (i*7 + c*3) mod 20000 - 10000. */
function ramp(frames: number, offset = 0): Buffer {
  const b = Buffer.alloc(framesToBytes(frames, F));
  for (let i = 0; i < frames; i++) for (let c = 0; c < 2; c++) b.writeInt16LE((((i + offset) * 7 + c * 3) % 20000) - 10000, (i * 2 + c) * 2);
  return b;
}

test('realtime: 2 s of audio take 2 s of wall time with a sink that consumes instantly', async () => {
  const engine = new Engine();
  const sink = new MemorySink();
  engine.addSink(sink);
  const two = secondsToFrames(2, F);
  const t0 = process.hrtime.bigint();
  await engine.start();
  await new Promise<void>((resolve) => engine.on('period', (_r, pos: number) => { if (pos >= two) resolve(); }));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  await engine.stop();
  // The period that reaches 2 s is mixed at 2 s minus one period (11.6 ms): never sooner, whatever the load.
  // Later only when starved of CPU (a loaded machine): the upper bound is for a stall, not for speed.
  assert.ok(elapsed >= 1.9 && elapsed < 3.5, `2 s of audio took ${elapsed.toFixed(3)} s (expected 1.9 to 3.5 s: paced by the clock)`);
  assert.equal(sink.data.length, framesToBytes(engine.position, F));
});

test('realtime: a source that is late contributes what it has plus silence, and xruns are counted for it only', async () => {
  const clock = new VirtualClock();
  const engine = new Engine({ clock, period: 100 });
  const late = new FifoSource('late', F);
  const fine = new FifoSource('fine', F);
  const done = bufferSource('done', ramp(50));
  engine.addSource(late);
  engine.addSource(fine);
  engine.addSource(done);
  const sink = new MemorySink();
  engine.addSink(sink);
  late.push(ramp(250));
  fine.push(ramp(1000));
  let periods = 0;
  const ten = new Promise<void>((resolve) => engine.on('period', () => { if (++periods === 10) resolve(); }));
  await engine.start();
  await ten;
  await engine.stop();
  const s = engine.status();
  // late had 2.5 periods: period 3 is partial (xrun), periods 4..10 empty (xruns); done ended in period 1: none.
  assert.deepEqual(s.sources.map((x) => [x.name, x.xruns]), [['late', 8], ['fine', 0], ['done', 0]]);
  const out = sink.data;
  assert.equal(out.length, framesToBytes(1000, F));
  const want = Buffer.alloc(out.length);
  const L = ramp(250);
  const R = ramp(1000);
  const D = ramp(50);
  for (let i = 0; i < 2000; i++) {
    const v = R.readInt16LE(i * 2) + (i < 500 ? L.readInt16LE(i * 2) : 0) + (i < 100 ? D.readInt16LE(i * 2) : 0);
    want.writeInt16LE(Math.max(-32768, Math.min(32767, v)), i * 2);
  }
  assert.ok(out.equals(want), 'the mix is late + fine + done with silence where late had nothing');
});

test('export: the engine waits for a slow source and loses nothing', async () => {
  const engine = new Engine({ mode: 'export', period: 512 });
  const slow = new FifoSource('slow', F);
  const fast = bufferSource('fast', ramp(3000, 5));
  engine.addSource(slow);
  engine.addSource(fast);
  const sink = new MemorySink();
  engine.addSink(sink);
  const ended = engine.whenEnded();
  await engine.start();
  const whole = ramp(5000);
  for (let off = 0; off < whole.length; off += 1000) {
    slow.push(whole.subarray(off, off + 1000));
    await new Promise((r) => setTimeout(r, 2));
  }
  slow.end();
  assert.deepEqual(await ended, { reason: 'drained', position: 5000 });
  const F2 = ramp(3000, 5);
  const want = Buffer.alloc(whole.length);
  for (let i = 0; i < 10000; i++) want.writeInt16LE(whole.readInt16LE(i * 2) + (i < 6000 ? F2.readInt16LE(i * 2) : 0), i * 2);
  assert.ok(sink.data.equals(want), 'every sample of both sources is in the mix');
  assert.equal(engine.status().sources[0].xruns, 0);
});

test('export: each sink write is awaited (backpressure)', async () => {
  const engine = new Engine({ mode: 'export', period: 100 });
  engine.addSource(bufferSource('a', ramp(1000)));
  let inFlight = 0;
  let most = 0;
  engine.addSink({ name: 'slow', write: async () => { inFlight++; most = Math.max(most, inFlight); await new Promise((r) => setTimeout(r, 3)); inFlight--; }, end: async () => {} });
  const ended = engine.whenEnded();
  await engine.start();
  await ended;
  assert.equal(most, 1);
  assert.equal(engine.position, 1000);
});

/** Turns of the event loop (setImmediate): what the virtual clock and the engine move on. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

test('start gate: the clock starts when every source has a first period, all on the same frame', async (t) => {
  // The gate's deadline runs on mocked time: until b comes, nothing but a broken gate could let the clock start.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const clock = new VirtualClock();
  const engine = new Engine({ clock, period: 100 });
  const a = new FifoSource('a', F);
  const b = new FifoSource('b', F);
  engine.addSource(a);
  engine.addSource(b);
  const sink = new MemorySink();
  engine.addSink(sink);
  let started = false;
  try {
    const gate = engine.start({ gate: { timeoutMs: 5000 } }).then(() => { started = true; });
    a.push(ramp(300));
    t.mock.timers.tick(4999);
    await turns();
    assert.equal(started, false, 'still waiting for b after 4999 of the gate\'s 5000 ms');
    b.push(ramp(300));
    await gate;
    t.mock.timers.reset();
    await new Promise<void>((resolve) => engine.on('period', (_r, pos: number) => { if (pos >= 300) resolve(); }));
  } finally {
    await engine.stop();
  }
  assert.deepEqual(engine.status().sources.map((s) => s.xruns), [0, 0]);
  const want = Buffer.alloc(framesToBytes(300, F));
  const R = ramp(300);
  for (let i = 0; i < 600; i++) want.writeInt16LE(2 * R.readInt16LE(i * 2), i * 2);
  assert.ok(sink.data.subarray(0, want.length).equals(want));
});

test('pause stops the mix without losing position; resume continues; sources can come and go', async () => {
  const clock = new VirtualClock();
  const engine = new Engine({ clock, period: 100 });
  const a = new FifoSource('a', F);
  a.push(ramp(100000));
  engine.addSource(a);
  await engine.start();
  await new Promise<void>((resolve) => engine.on('period', (_r, pos: number) => { if (pos === 500) resolve(); }));
  engine.pause();
  const at = engine.position;
  // The virtual clock moves a period at each turn of the event loop: a running engine would be past `at` by now.
  await turns(50);
  assert.equal(engine.position, at, 'no period mixed while paused');
  assert.equal(engine.state, 'paused');
  engine.addSource(bufferSource('b', ramp(10)));
  engine.resume();
  await new Promise<void>((resolve) => engine.on('period', (_r, pos: number) => { if (pos === at + 300) resolve(); }));
  engine.removeSource('b');
  assert.deepEqual(engine.sourceNames(), ['a']);
  await engine.stop();
  assert.equal(engine.state, 'stopped');
});

test('trace: each source on its own channel pair, with the channel map', async () => {
  const engine = new Engine({ mode: 'export', period: 64 });
  engine.addSource(bufferSource('piano', ramp(100)));
  engine.addSource(bufferSource('drums', ramp(100, 77)));
  engine.setTrace({ on: true });
  const traced = new MemorySink('out', 'trace');
  const mixed = new MemorySink('dev', 'mix');
  engine.addSink(traced);
  engine.addSink(mixed);
  const ended = engine.whenEnded();
  await engine.start();
  await ended;
  assert.equal(formatChannelMap(engine.channelMap()), 'piano 1 2\ndrums 3 4\n');
  assert.equal(engine.traceChannels(), 4);
  const P = ramp(100);
  const D = ramp(100, 77);
  const want = Buffer.alloc(100 * 4 * 2);
  for (let i = 0; i < 100; i++) {
    for (let c = 0; c < 2; c++) {
      want.writeInt16LE(P.readInt16LE((i * 2 + c) * 2), (i * 4 + c) * 2);
      want.writeInt16LE(D.readInt16LE((i * 2 + c) * 2), (i * 4 + 2 + c) * 2);
    }
  }
  assert.ok(traced.data.equals(want));
  assert.equal(mixed.data.length, framesToBytes(100, F));
});

test('sources keep their rank, not the order they came in: the channel map and the traced channels follow it', async () => {
  const engine = new Engine({ mode: 'export', period: 64 });
  // Chains start concurrently: the third chain's source may come first.
  engine.addSource(bufferSource('c', ramp(100, 2)), { rank: 2 });
  engine.addSource(bufferSource('a', ramp(100)), { rank: 0 });
  engine.addSource(bufferSource('b', ramp(100, 1)), { rank: 1 });
  engine.setTrace({ on: true });
  assert.equal(formatChannelMap(engine.channelMap()), 'a 1 2\nb 3 4\nc 5 6\n');
  assert.deepEqual(engine.sourceNames(), ['a', 'b', 'c']);
  engine.removeSource('b');
  engine.addSource(bufferSource('b', ramp(100, 1)), { rank: 1 });
  assert.deepEqual(engine.sourceNames(), ['a', 'b', 'c'], 'a source added again goes back to its place');
  engine.addSource(bufferSource('d', ramp(100, 3)));
  assert.deepEqual(engine.sourceNames(), ['a', 'b', 'c', 'd'], 'without a rank, last');
});

test('meters: a full-scale-minus-6dB sine reads -6 dBFS peak and -9 dBFS RMS', async () => {
  const engine = new Engine({ mode: 'export', period: 441 });
  const frames = 44100;
  const amp = 32767 * Math.pow(10, -6 / 20);
  const pcm = Buffer.alloc(framesToBytes(frames, F));
  for (let i = 0; i < frames; i++) {
    const v = Math.round(amp * Math.sin((2 * Math.PI * 1000 * i) / 44100));
    pcm.writeInt16LE(v, i * 4);
    pcm.writeInt16LE(v, i * 4 + 2);
  }
  engine.addSource(bufferSource('sine', pcm));
  const ended = engine.whenEnded();
  await engine.start();
  await ended;
  const s = engine.status();
  const peak = 20 * Math.log10(amp / 32768);
  const rms = 20 * Math.log10(amp / Math.SQRT2 / 32768);
  assert.ok(Math.abs(s.sources[0].peakDb - peak) <= 0.1, `peak ${s.sources[0].peakDb}, hand computation ${peak}`);
  assert.ok(Math.abs(s.sources[0].rmsDb - rms) <= 0.1, `rms ${s.sources[0].rmsDb}, hand computation ${rms}`);
  assert.deepEqual([s.master.peakDb, s.master.rmsDb], [s.sources[0].peakDb, s.sources[0].rmsDb]);
  assert.equal(s.master.clipped, 0);
});

test('a loop seam fade changes the mix only: the source buffer the mix passed through (shared with taps) is left as it was', async () => {
  const engine = new Engine({ mode: 'export', period: 100 });
  const frames = 1000;
  const fade = 200;
  const pcm = ramp(frames);
  const before = Buffer.from(pcm);
  engine.addSource(bufferSource('a', pcm));
  const sink = new MemorySink();
  engine.addSink(sink);
  engine.setPassEnd(frames, { fade });
  const ended = engine.whenEnded();
  await engine.start();
  await ended;
  assert.ok(pcm.equals(before), 'the source buffer is unchanged');
  const want = Buffer.from(before);
  for (let f = 0; f < frames; f++) {
    const g = Math.max(0, Math.min(f < fade ? f / fade : 1, frames - f <= fade ? (frames - f - 1) / fade : 1));
    for (let c = 0; c < 2; c++) want.writeInt16LE(Math.round(before.readInt16LE((f * 2 + c) * 2) * g), (f * 2 + c) * 2);
  }
  assert.ok(sink.data.equals(want), 'the mix is faded in over the first 200 frames and out over the last 200');
  assert.ok(sink.data.subarray(framesToBytes(fade, F), framesToBytes(frames - fade, F)).equals(before.subarray(framesToBytes(fade, F), framesToBytes(frames - fade, F))));
});

test('realtime: xruns and late skips count per run (since play) and in total; a quiet source that gives nothing counts none', async () => {
  const clock = new VirtualClock();
  const engine = new Engine({ clock, period: 100 });
  const late = new FifoSource('late', F);
  let quiet = true;
  const live = Object.assign(new FifoSource('live', F), { quiet: () => quiet });
  engine.addSource(late);
  engine.addSource(live);
  const periods = (n: number) => new Promise<void>((resolve) => {
    let seen = 0;
    const on = () => { if (++seen === n) { engine.off('period', on); resolve(); } };
    engine.on('period', on);
  });
  late.push(ramp(250));
  live.push(ramp(150));
  let five = periods(5);
  await engine.start();
  // A stall of 1 s: the clock skips ahead once instead of catching up.
  clock.advance(1);
  await five;
  await engine.stop();
  let s = engine.status();
  // late: period 3 partial, 4 and 5 empty. live: period 2 partial (it had something to say), 3..5 empty and quiet.
  assert.deepEqual(s.sources.map((x) => [x.name, x.xruns, x.xrunsTotal]), [['late', 3, 3], ['live', 1, 1]]);
  assert.deepEqual([s.lateSkips, s.lateSkipsTotal], [1, 1]);
  quiet = false;
  five = periods(5);
  await engine.start();
  await five;
  await engine.stop();
  s = engine.status();
  assert.deepEqual(s.sources.map((x) => [x.name, x.xruns, x.xrunsTotal]), [['late', 5, 8], ['live', 5, 6]], 'each run counts from 0, the totals go on; not quiet, live counts');
  assert.deepEqual([s.lateSkips, s.lateSkipsTotal], [0, 1], 'late skips start again at each run; the total keeps them');
  engine.removeSource('late');
  engine.addSource(new FifoSource('late', F));
  five = periods(5);
  await engine.start();
  await five;
  await engine.stop();
  s = engine.status();
  assert.deepEqual(s.sources.map((x) => [x.name, x.xruns, x.xrunsTotal]), [['live', 5, 11], ['late', 5, 13]], 'a source added again under the same name: the total goes on');
});
