import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Engine } from '../../lib/mix/engine.js';
import { applyStripText, defaultStrip } from '../../lib/mix/strip.js';
import { Mixer } from '../../lib/mix/mixer.js';
import { Meter } from '../../lib/mix/meter.js';
import { DEFAULT_FORMAT } from '../../lib/base/pcm-format.js';
import { bufferSource, MemorySink, maxDiff, numpy, soxMix, soxSynth, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
const a = join(tmp.dir, 'a.raw');
const b = join(tmp.dir, 'b.raw');
const A = soxSynth(a, ['1.3', 'sine', '440'], { effects: ['gain', '-7'] });
const B = soxSynth(b, ['0.7', 'sine', '1234:2000'], { effects: ['gain', '-9'] });

/** Renders sources in export mode with the given mixer lines; returns the whole output. */
async function render(inputs: Array<{ name: string; pcm: Buffer; lines?: string }>, masterLines = ''): Promise<Buffer> {
  const engine = new Engine({ mode: 'export' });
  for (const i of inputs) engine.addSource(bufferSource(i.name, i.pcm), { strip: applyStripText(defaultStrip(), i.lines ?? '') });
  engine.mixer.master = applyStripText(defaultStrip(), masterLines, { master: true });
  const sink = new MemorySink();
  engine.addSink(sink);
  const ended = engine.whenEnded();
  await engine.start();
  const end = await ended;
  assert.equal(end.reason, 'drained');
  return sink.data;
}

function assertSame(got: Buffer, want: Buffer, tolerance: number): void {
  const d = maxDiff(got, want);
  assert.equal(got.length, want.length, `length: got ${got.length} bytes, sox gave ${want.length}`);
  assert.ok(d.max <= tolerance, `largest difference ${d.max} LSB at sample ${d.at} (allowed ${tolerance})`);
}

test('two sources mixed equal sox -m of the same files, sample for sample', async () => {
  const got = await render([{ name: 'a', pcm: A }, { name: 'b', pcm: B }]);
  const want = soxMix([{ file: a, v: 1 }, { file: b, v: 1 }], join(tmp.dir, 'ab.raw'));
  assertSame(got, want, 0);
});

test('linear and dB volumes equal sox -v, within 1 LSB', async () => {
  const got = await render([{ name: 'a', pcm: A, lines: 'volume 0.5' }, { name: 'b', pcm: B, lines: 'volume -6dB' }]);
  const want = soxMix([{ file: a, v: 0.5 }, { file: b, v: Math.pow(10, -6 / 20) }], join(tmp.dir, 'vol.raw'));
  assertSame(got, want, 1);
});

test('mute silences a source; any solo leaves only the soloed sources', async () => {
  const muted = await render([{ name: 'a', pcm: A, lines: 'mute on' }, { name: 'b', pcm: B }]);
  assertSame(muted, soxMix([{ file: a, v: 0 }, { file: b, v: 1 }], join(tmp.dir, 'mute.raw')), 0);
  const solo = await render([{ name: 'a', pcm: A, lines: 'solo on' }, { name: 'b', pcm: B }]);
  assertSame(solo, soxMix([{ file: a, v: 1 }, { file: b, v: 0 }], join(tmp.dir, 'solo.raw')), 0);
  const master = await render([{ name: 'a', pcm: A }, { name: 'b', pcm: B }], 'mute on');
  assert.ok(master.equals(Buffer.alloc(A.length)), 'master mute gives silence of the full length');
});

test('pan is a balance control on stereo pairs, as computed by numpy', async () => {
  const got = await render([{ name: 'a', pcm: A, lines: 'pan 0.3' }, { name: 'b', pcm: B, lines: 'pan -0.6\nvolume 0.8' }]);
  const bPadded = Buffer.concat([B, Buffer.alloc(A.length - B.length)]);
  const want = numpy(`
d = np.frombuffer(sys.stdin.buffer.read(), dtype='<i2').astype(np.float64).reshape(2, -1, 2)
a, b = d[0].copy(), d[1].copy()
a[:, 0] *= 1 - 0.3
b *= 0.8
b[:, 1] *= 1 - 0.6
sys.stdout.buffer.write(np.clip(np.round(a + b), -32768, 32767).astype('<i2').tobytes())
`, Buffer.concat([A, bPadded]));
  assertSame(got, want, 1);
});

test('pan on a mono project does nothing; on 4 channels it applies to each pair', async () => {
  const mono = { rate: 44100, channels: 1 };
  const four = { rate: 44100, channels: 4 };
  const pcm = Buffer.alloc(8 * 2);
  for (let i = 0; i < 8; i++) pcm.writeInt16LE(1000 * (i + 1), i * 2);
  for (const [format, want] of [[mono, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]], [four, [500, 2000, 1500, 4000, 2500, 6000, 3500, 8000]]] as const) {
    const engine = new Engine({ mode: 'export', format, period: 4 });
    engine.addSource(bufferSource('x', pcm, format), { strip: applyStripText(defaultStrip(), 'pan 0.5') });
    const sink = new MemorySink();
    engine.addSink(sink);
    const ended = engine.whenEnded();
    await engine.start();
    await ended;
    assert.deepEqual([...new Int16Array(sink.data.buffer, sink.data.byteOffset, 8)], want);
  }
});

test('clipping happens once, at the output: loud sources turned down by the master do not clip', async () => {
  const c = join(tmp.dir, 'c.raw');
  const d = join(tmp.dir, 'd.raw');
  const C = soxSynth(c, ['0.5', 'square', '300'], { effects: ['gain', '-1'] });
  const D = soxSynth(d, ['0.5', 'square', '300'], { effects: ['gain', '-2'] });
  const quiet = await render([{ name: 'c', pcm: C }, { name: 'd', pcm: D }], 'volume 0.5');
  assertSame(quiet, soxMix([{ file: c, v: 0.5 }, { file: d, v: 0.5 }], join(tmp.dir, 'cd-half.raw')), 1);
  const loud = await render([{ name: 'c', pcm: C }, { name: 'd', pcm: D }]);
  const want = numpy(`
d = np.frombuffer(sys.stdin.buffer.read(), dtype='<i2').astype(np.int64).reshape(2, -1)
sys.stdout.buffer.write(np.clip(d[0] + d[1], -32768, 32767).astype('<i2').tobytes())
`, Buffer.concat([C, D]));
  assertSame(loud, want, 0);
});

test('one source heard at unity passes through bit for bit, a short one padded with silence; muted ones only metered', async () => {
  const alone = await render([{ name: 'a', pcm: A }]);
  assert.ok(alone.equals(A), 'the mix is the source itself');
  const withMuted = await render([{ name: 'a', pcm: A, lines: 'mute on' }, { name: 'b', pcm: B }]);
  assert.ok(withMuted.equals(Buffer.concat([B, Buffer.alloc(A.length - B.length)])), 'b alone, then silence to the length of a');
});

test('levels are those of the scaled samples, as numpy computes them, on every path of the mixer', async () => {
  const levels = (pcm: Buffer, scale: [number, number]) => numpy(`
d = np.frombuffer(sys.stdin.buffer.read(), dtype='<i2').astype(np.float64).reshape(-1, 2) * [${scale.join(', ')}]
peak = np.abs(d).max()
rms = np.sqrt((d * d).mean())
sys.stdout.write('%.1f %.1f' % (20 * np.log10(peak / 32768), 20 * np.log10(rms / 32768)))
`, pcm).toString().split(' ').map(Number);
  for (const [lines, scale] of [['', [1, 1]], ['volume 0.5', [0.5, 0.5]], ['pan 0.25\nvolume 2', [1.5, 2]]] as const) {
    const engine = new Engine({ mode: 'export', period: 44100 });
    engine.addSource(bufferSource('a', A.subarray(0, 44100 * 4)), { strip: applyStripText(defaultStrip(), lines) });
    const ended = engine.whenEnded();
    await engine.start();
    await ended;
    const s = engine.status().sources[0];
    const [peak, rms] = levels(A.subarray(0, 44100 * 4), [...scale]);
    assert.ok(Math.abs(s.peakDb - peak) <= 0.1 && Math.abs(s.rmsDb - rms) <= 0.1, `'${lines}': ${s.peakDb}/${s.rmsDb} dBFS, numpy ${peak}/${rms}`);
  }
});

test('one mixer over many periods, sources coming and going and a solo toggled, mixes each period as a new mixer would', () => {
  // The mixer keeps its per-input arrays from one period to the next: none of it may leak into the next period.
  const kept = new Mixer(DEFAULT_FORMAT);
  const frames = 64;
  const period = (n: number, seed: number) => Buffer.from(new Int16Array(Array.from({ length: frames * 2 }, (_, i) => ((i * 7919 + seed * 104729 + n) % 20000) - 10000)).buffer);
  const strips = [
    applyStripText(defaultStrip(), 'volume 0.5\npan 0.3'),
    applyStripText(defaultStrip(), 'volume -3dB'),
    defaultStrip(),
    applyStripText(defaultStrip(), 'pan -1'),
  ];
  const layouts: Array<Array<{ strip: number; solo?: boolean }>> = [
    [{ strip: 0 }, { strip: 1 }, { strip: 2 }, { strip: 3 }],
    [{ strip: 2 }],
    [{ strip: 0, solo: true }, { strip: 1 }, { strip: 3 }],
    [{ strip: 1 }, { strip: 2 }],
    [{ strip: 3 }, { strip: 0 }, { strip: 1, solo: true }, { strip: 2, solo: true }],
    [{ strip: 2 }, { strip: 1 }],
  ];
  layouts.forEach((layout, p) => {
    const inputs = () => layout.map((l, n) => ({ pcm: period(p, n + l.strip), strip: { ...strips[l.strip], solo: l.solo ?? false }, meter: new Meter() }));
    const got = kept.mix(inputs(), frames).mix;
    const want = new Mixer(DEFAULT_FORMAT).mix(inputs(), frames).mix;
    assert.ok(got.equals(want), `period ${p}: differs from a new mixer's`);
  });
});
