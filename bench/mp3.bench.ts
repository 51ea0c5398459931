// MP3 encoding through the engine's LAME encoder vs the lame CLI, and the mixer vs sox -m, as ratios.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FORMAT, bytesToFrames, framesToSeconds } from '../lib/base/pcm-format.js';
import { Engine } from '../lib/mix/engine.js';
import { FifoSource } from '../lib/mix/fifo-source.js';
import { BLOCK_FRAMES, FILE_BLOCK_FRAMES, LameMp3Encoder } from '../lib/mix/sinks/mp3-encoder.js';
import { median } from './stats.js';

const SECONDS = 180;
const REPEATS = 5;
const SOURCES = 8;
const dir = mkdtempSync(join(tmpdir(), 'audiofs-bench-'));
const raw = ['-r', '44100', '-c', '2', '-b', '16', '-e', 'signed-integer', '-L', '-t', 'raw'];

function seconds(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function secondsAsync(f: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

try {
  const files = Array.from({ length: SOURCES }, (_, i) => join(dir, `s${i}.raw`));
  files.forEach((f, i) => execFileSync('sox', ['-n', ...raw, f, 'synth', String(SECONDS), 'sine', String(220 + 110 * i), 'gain', '-20'], { stdio: 'ignore' }));
  const pcm = files.map((f) => readFileSync(f));
  const audio = framesToSeconds(bytesToFrames(pcm[0].length, DEFAULT_FORMAT), DEFAULT_FORMAT);

  // The engine hands the encoder one period (512 frames) at a time; it gathers BLOCK_FRAMES before each call.
  const encodeWith = (blockFrames: number) => secondsAsync(async () => {
    const enc = new LameMp3Encoder({ format: DEFAULT_FORMAT, bitrate: 128, blockFrames });
    enc.onData(() => undefined);
    const period = 512 * 4;
    for (let off = 0; off < pcm[0].length; off += period) void enc.encode(pcm[0].subarray(off, off + period));
    await enc.finish();
  });
  const perPeriod = await encodeWith(512);
  // Medians of interleaved runs: the machine's noise moves each by ±5%, more than what is compared.
  const runs: { ours: number[]; large: number[]; cli: number[] } = { ours: [], large: [], cli: [] };
  for (let r = 0; r < REPEATS; r++) {
    runs.ours.push(await encodeWith(BLOCK_FRAMES));
    runs.large.push(await encodeWith(FILE_BLOCK_FRAMES));
    runs.cli.push(seconds(() => execFileSync('lame', ['-r', '-s', '44.1', '--signed', '--little-endian', '-b', '128', '--quiet', '-', join(dir, 'out.mp3')], { input: pcm[0], maxBuffer: 1 << 30 })));
  }
  const ours = median(runs.ours);
  const large = median(runs.large);
  const cli = median(runs.cli);

  const mixer = await secondsAsync(async () => {
    const engine = new Engine({ mode: 'export' });
    pcm.forEach((p, i) => {
      const s = new FifoSource(`s${i}`, DEFAULT_FORMAT);
      s.push(p);
      s.end();
      engine.addSource(s);
    });
    engine.addSink({ name: 'null', write: () => undefined, end: async () => undefined });
    const ended = engine.whenEnded();
    await engine.start();
    await ended;
  });
  const soxArgs = ['-D', '-m'];
  for (const f of files) soxArgs.push('-v', '1', ...raw, f);
  const soxm = seconds(() => execFileSync('sox', [...soxArgs, ...raw, join(dir, 'mix.raw')], { stdio: 'ignore' }));

  const x = (t: number): string => `${(audio / t).toFixed(0)}x`;
  console.log(`${SECONDS} s of stereo 44.1 kHz s16le, ${SOURCES} sources for the mix; times are wall clock on this machine; MP3 times are medians of ${REPEATS} interleaved runs.\n`);
  console.log('| task | audiofs | time | baseline | time | audiofs / baseline speed |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| MP3 128 kbit/s | LameMp3Encoder (@flat/lame), a call per ${BLOCK_FRAMES} frames (the live streams) | ${ours.toFixed(2)} s (${x(ours)} real time) | lame CLI | ${cli.toFixed(2)} s (${x(cli)}) | ${(cli / ours).toFixed(2)} |`);
  console.log(`| MP3 128 kbit/s | the same, a call per 512-frame period (before) | ${perPeriod.toFixed(2)} s (${x(perPeriod)} real time) | lame CLI | ${cli.toFixed(2)} s (${x(cli)}) | ${(cli / perPeriod).toFixed(2)} |`);
  console.log(`| MP3 128 kbit/s | the same, a call per ${FILE_BLOCK_FRAMES} frames (an export to a file) | ${large.toFixed(2)} s (${x(large)} real time) | lame CLI | ${cli.toFixed(2)} s (${x(cli)}) | ${(cli / large).toFixed(2)} |`);
  console.log(`| mix ${SOURCES} sources | Engine export mode | ${mixer.toFixed(2)} s (${x(mixer)} real time) | sox -m, ${SOURCES} files | ${soxm.toFixed(2)} s (${x(soxm)}) | ${(soxm / mixer).toFixed(2)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
