import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, runBin } from './run-program.js';
import { LOAD_PCM, numpy } from './numpy-oracle.js';

const CASES = [
  { freq: 220, rate: 44100, channels: 2, wave: 'sine' },
  { freq: 1000, rate: 48000, channels: 1, wave: 'sine' },
  { freq: 3150, rate: 22050, channels: 2, wave: 'saw' },
  { freq: 441.5, rate: 8000, channels: 1, wave: 'square' },
  { freq: 5000, rate: 96000, channels: 2, wave: 'triangle' },
];

const ANALYSE = `${LOAD_PCM}
path, channels, rate, freq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
x = load(path, channels)
n = np.arange(len(x)) / len(x)
bh = 0.35875 - 0.48829 * np.cos(2 * np.pi * n) + 0.14128 * np.cos(4 * np.pi * n) - 0.01168 * np.cos(6 * np.pi * n)
s = np.abs(np.fft.rfft(x[:, 0] * bh)) ** 2
f = np.fft.rfftfreq(len(x), 1 / rate)
harm = np.zeros_like(s, dtype=bool)
for h in range(1, int(rate / 2 / freq) + 1):
    harm |= np.abs(f - h * freq) <= 8
stray = s[~harm].sum() / s.sum()
print(json.dumps({"frames": len(x), "peak": peak_hz(x[:, 0], rate), "max": float(np.abs(x).max() * 32768),
                  "same": bool(all(np.array_equal(x[:, 0], x[:, c]) for c in range(channels))),
                  "strayDb": float(10 * np.log10(stray + 1e-30))}))
`;

test('the tone peaks at its frequency for several waves and rates, at the asked level, band-limited', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-tone-'));
  try {
    for (const c of CASES) {
      const r = await runBin('audiofs-tone', [String(c.freq), '--wave', c.wave, '--seconds', '1', '--gain', '-6'], {
        env: { AUDIOFS_RATE: String(c.rate), AUDIOFS_CHANNELS: String(c.channels) },
      });
      assert.equal(r.code, 0, r.stderr);
      const path = join(dir, `${c.wave}-${c.rate}.raw`);
      await writeFile(path, r.stdout);
      const a = numpy<{ frames: number; peak: number; max: number; same: boolean; strayDb: number }>(ANALYSE, [path, String(c.channels), String(c.rate), String(c.freq)]);
      assert.equal(a.frames, c.rate, `${c.wave} ${c.freq} Hz at ${c.rate}: one second of frames`);
      assert.ok(Math.abs(a.peak - c.freq) < 0.2, `${c.wave} ${c.freq} Hz at ${c.rate}: spectral peak at ${a.peak}`);
      // -6 dBFS peak: 32768 * 10^(-6/20) = 16422.7; other waves are sampled between their peaks.
      const level = 32768 * Math.pow(10, -6 / 20);
      if (c.wave === 'sine') assert.ok(Math.abs(a.max - level) <= 1.5, `sine: peak sample ${a.max}`);
      else assert.ok(a.max <= level + 1 && a.max > level * 0.8, `${c.wave}: peak sample ${a.max}`);
      assert.ok(a.same, 'every channel carries the same tone');
      // Energy away from the harmonics (aliases) is negligible.
      assert.ok(a.strayDb < -60, `${c.wave} ${c.freq} Hz at ${c.rate}: energy off the harmonics ${a.strayDb} dB`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an endless tone stops quietly with exit 0 when its reader goes away', async () => {
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const tone = spawn(join(ROOT, 'bin', 'audiofs-tone'), ['440'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let got = 0;
    tone.stderr.on('data', (b: Buffer) => { stderr += b; });
    tone.stdout.on('data', (b: Buffer) => {
      got += b.length;
      if (got > 50000) tone.stdout.destroy();
    });
    tone.on('close', (c) => resolve({ code: c, stderr }));
  });
  assert.deepEqual(r, { code: 0, stderr: '' });
});
