// `node dist/bench/run.js resampler`: quality and speed of the resamplers against sox's `rate -v` as the oracle.
// Quality: a tone's THD+N (what is left after fitting the tone), the aliasing of a sweep above the new Nyquist
// frequency (output energy relative to input; ideal: none), the error of a 20 Hz..20 kHz sweep against sox's.
// Measured when there were two (2026-11-26, this machine), before lib/dj/resample.ts was removed:
// | resampler | THD+N 1k 48->44.1 | THD+N 10k 22.05->44.1 | aliasing 22.2-23.8k | error vs sox | 60 s 48->44.1 | 60 s 22.05->44.1 |
// | sequencer (Kaiser sinc, 24 zero crossings) | -115.5 | -90.7 | -23.8 | -102.2 | 572 ms | 567 ms |
// | dj (Blackman sinc, 16 taps a side) | -111.5 | -47.7 | -22.2 | -57.3 | 406 ms | 271 ms |
// | sox rate -v | -145.6 | -145.2 | -inf | -inf | 283 ms | 173 ms |
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resampler } from '../lib/sequencer/resampler.js';

/** A resampler under test: one channel of float samples from one rate to another. */
type Resample = (input: Float32Array, from: number, to: number) => Float32Array;

const candidates: Record<string, () => Promise<Resample | undefined>> = {
  'sequencer (Kaiser sinc, streaming)': async () => (input, from, to) => {
    const r = new Resampler({ from, to, channels: 1 });
    const parts: Float64Array[] = [];
    for (let at = 0; at < input.length; at += 4096) parts.push(r.push([Float64Array.from(input.subarray(at, at + 4096))])[0]);
    parts.push(r.flush()[0]);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  },
  'sox rate -v (oracle)': async () => soxRate,
};

const dir = mkdtempSync(join(tmpdir(), 'resampler-bench-'));

function soxRate(input: Float32Array, from: number, to: number): Float32Array {
  const a = join(dir, 'a.f32');
  const b = join(dir, 'b.f32');
  writeFileSync(a, Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  execFileSync('sox', ['-D', '-q', '-t', 'f32', '-r', `${from}`, '-c', '1', a, '-t', 'f32', '-r', `${to}`, '-c', '1', b, 'rate', '-v']);
  const bytes = readFileSync(b);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4).slice();
}

function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
}

/** A logarithmic sweep from f0 to f1. */
function sweep(f0: number, f1: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  const k = Math.log(f1 / f0);
  return Float32Array.from({ length: n }, (_, i) => {
    const t = i / rate;
    return amplitude * Math.sin(((2 * Math.PI * f0 * seconds) / k) * (Math.exp((t / seconds) * k) - 1));
  });
}

/** The middle of a signal (edges, where a resampler sees silence before and after, left out). */
const middle = (x: Float32Array, rate: number): Float32Array => x.subarray(Math.round(rate * 0.1), x.length - Math.round(rate * 0.1));

const energy = (x: Float32Array): number => x.reduce((s, v) => s + v * v, 0);
const db = (ratio: number): string => (ratio === 0 ? '-inf' : (10 * Math.log10(ratio)).toFixed(1));

/** THD+N in dB: the residual after a least-squares fit of a sine at `freq` (and a constant) against the fit. */
function thdN(x: Float32Array, freq: number, rate: number): string {
  const n = x.length;
  let ss = 0, sc = 0, cc = 0, xs = 0, xc = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.sin((2 * Math.PI * freq * i) / rate);
    const c = Math.cos((2 * Math.PI * freq * i) / rate);
    ss += s * s; sc += s * c; cc += c * c; xs += x[i] * s; xc += x[i] * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let fit = 0, residual = 0;
  for (let i = 0; i < n; i++) {
    const y = a * Math.sin((2 * Math.PI * freq * i) / rate) + b * Math.cos((2 * Math.PI * freq * i) / rate);
    fit += y * y;
    residual += (x[i] - y) ** 2;
  }
  return db(residual / fit);
}

/** The error of `x` against the oracle's output, relative to the oracle's energy (dB). */
function errorAgainst(x: Float32Array, oracle: Float32Array): string {
  const n = Math.min(x.length, oracle.length);
  let e = 0;
  for (let i = 0; i < n; i++) e += (x[i] - oracle[i]) ** 2;
  return db(e / energy(oracle.subarray(0, n)));
}

try {
  const passband48 = sweep(20, 20000, 48000, 10);
  const oracle = soxRate(passband48, 48000, 44100);
  const above = sweep(22200, 23800, 48000, 10);
  const speedInput = sweep(20, 20000, 48000, 60);
  console.log('| resampler | THD+N 1 kHz 48k->44.1k dB | THD+N 10 kHz 22.05k->44.1k dB | sweep 22.2-23.8 kHz 48k->44.1k (aliasing) dB | error vs sox, sweep 20 Hz-20 kHz dB | 60 s mono 48k->44.1k ms | 60 s 22.05k->44.1k ms |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, load] of Object.entries(candidates)) {
    const resample = await load();
    if (!resample) continue;
    const t1k = resample(tone(1000, 48000, 2), 48000, 44100);
    const t10k = resample(tone(10000, 22050, 2), 22050, 44100);
    const alias = resample(above, 48000, 44100);
    const pass = resample(passband48, 48000, 44100);
    let t0 = performance.now();
    resample(speedInput, 48000, 44100);
    const down = performance.now() - t0;
    const up22 = sweep(20, 10000, 22050, 60);
    t0 = performance.now();
    resample(up22, 22050, 44100);
    const up = performance.now() - t0;
    console.log(`| ${name} | ${thdN(middle(t1k, 44100), 1000, 44100)} | ${thdN(middle(t10k, 44100), 10000, 44100)} | ${db(energy(middle(alias, 44100)) / energy(middle(above, 48000)) * 48000 / 44100)} | ${errorAgainst(middle(pass, 44100), middle(oracle, 44100))} | ${down.toFixed(0)} | ${up.toFixed(0)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
