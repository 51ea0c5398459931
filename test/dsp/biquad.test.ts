import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin } from './run-program.js';
import { LOAD_PCM, numpy } from './numpy-oracle.js';
import { whiteNoise } from './noise.js';

// The measured transfer function (Welch cross-spectrum over auto-spectrum of the real input and output)
// against the RBJ cookbook formula evaluated on the unit circle, written out again here.
const MEASURE = `${LOAD_PCM}
inp, outp, channels, rate, kind, f0, q = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], float(sys.argv[6]), float(sys.argv[7])
x, y = load(inp, channels), load(outp, channels)
nfft = 8192
win = np.hanning(nfft)
def transfer(a, b):
    sxx = np.zeros(nfft // 2 + 1); sxy = np.zeros(nfft // 2 + 1, dtype=complex)
    for s in range(0, len(a) - nfft + 1, nfft // 2):
        A = np.fft.rfft(a[s:s + nfft] * win); B = np.fft.rfft(b[s:s + nfft] * win)
        sxx += np.abs(A) ** 2; sxy += np.conj(A) * B
    return sxy / sxx
w0 = 2 * np.pi * f0 / rate
alpha = np.sin(w0) / (2 * q)
cw = np.cos(w0)
b = {"lowpass": [(1 - cw) / 2, 1 - cw, (1 - cw) / 2], "highpass": [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2], "bandpass": [alpha, 0, -alpha]}[kind]
a = [1 + alpha, -2 * cw, 1 - alpha]
freqs = np.fft.rfftfreq(nfft, 1 / rate)
z = np.exp(-1j * 2 * np.pi * freqs / rate)
h = (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
want = 20 * np.log10(np.abs(h))
result = {"frames": [len(x), len(y)], "points": []}
for ratio in [0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0]:
    k = int(round(f0 * ratio * nfft / rate))
    if k <= 0 or k >= nfft // 2 or want[k] < -40:
        continue
    got = [float(20 * np.log10(np.abs(transfer(x[:, c], y[:, c])[k]))) for c in range(channels)]
    result["points"].append({"hz": float(freqs[k]), "want": float(want[k]), "got": got})
print(json.dumps(result))
`;

const CASES = [
  { flag: '-low', kind: 'lowpass', freq: 1000, q: undefined, rate: 44100, channels: 2 },
  { flag: '-low', kind: 'lowpass', freq: 3000, q: 2, rate: 48000, channels: 1 },
  { flag: '-high', kind: 'highpass', freq: 500, q: undefined, rate: 44100, channels: 2 },
  { flag: '-high', kind: 'highpass', freq: 2000, q: 0.5, rate: 16000, channels: 2 },
  { flag: '-band', kind: 'bandpass', freq: 1500, q: 1.5, rate: 44100, channels: 2 },
  { flag: '-band', kind: 'bandpass', freq: 100, q: 4, rate: 22050, channels: 1 },
];

interface Measured { frames: [number, number]; points: { hz: number; want: number; got: number[] }[] }

test('low, high and band filters match the analytic RBJ biquad response within 0.5 dB', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-biquad-'));
  try {
    for (const c of CASES) {
      const input = whiteNoise(c.rate * 3, c.channels, 0.25);
      const args = [c.flag, String(c.freq), ...(c.q === undefined ? [] : [String(c.q)])];
      const r = await runBin('audiofs-filter', args, { input, env: { AUDIOFS_RATE: String(c.rate), AUDIOFS_CHANNELS: String(c.channels) } });
      assert.equal(r.code, 0, r.stderr);
      const inPath = join(dir, 'in.raw');
      const outPath = join(dir, 'out.raw');
      await writeFile(inPath, input);
      await writeFile(outPath, r.stdout);
      const m = numpy<Measured>(MEASURE, [inPath, outPath, String(c.channels), String(c.rate), c.kind, String(c.freq), String(c.q ?? Math.SQRT1_2)]);
      assert.deepEqual(m.frames, [c.rate * 3, c.rate * 3], 'a filter adds no tail and loses no frame');
      assert.ok(m.points.length >= 4, `${c.kind} ${c.freq}: at least 4 frequencies measured, got ${m.points.length}`);
      for (const p of m.points) {
        for (const got of p.got) {
          assert.ok(Math.abs(got - p.want) < 0.5, `${args.join(' ')} at ${c.rate} Hz: ${p.hz.toFixed(1)} Hz measured ${got.toFixed(2)} dB, analytic ${p.want.toFixed(2)} dB`);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
