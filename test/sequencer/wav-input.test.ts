import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { WavToPcm } from '../../lib/sequencer/wav-input.js';
import { detectInputType } from '../../lib/sequencer/input-type.js';
import type { PcmFormat } from '../../lib/base/pcm-format.js';

const run = promisify(execFile);

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-wav-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Converts a WAV with WavToPcm, fed in odd-sized pieces. */
async function convert(path: string, format: PcmFormat): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    createReadStream(path, { highWaterMark: 1000 }),
    new WavToPcm({ format }),
    new Writable({ write(chunk: Buffer, _e, cb) { parts.push(chunk); cb(); } }),
  );
  return Buffer.concat(parts);
}

/** The same conversion by sox, without dither. */
async function soxConvert(path: string, format: PcmFormat, out: string): Promise<Buffer> {
  await run('sox', ['-D', path, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-r', String(format.rate), '-c', String(format.channels), out]);
  return readFile(out);
}

function compare(actual: Buffer, expected: Buffer): { maxDiff: number; rmsDb: number } {
  assert.equal(actual.length, expected.length, 'length in bytes');
  let maxDiff = 0;
  let sum = 0;
  for (let i = 0; i < actual.length; i += 2) {
    const d = actual.readInt16LE(i) - expected.readInt16LE(i);
    maxDiff = Math.max(maxDiff, Math.abs(d));
    sum += d * d;
  }
  const rms = Math.sqrt(sum / (actual.length / 2)) / 32768;
  return { maxDiff, rmsDb: 20 * Math.log10(rms || 1e-12) };
}

const CASES: { name: string; make: string[]; format: PcmFormat; maxDiff: number }[] = [
  { name: '16-bit stereo 44.1 kHz', make: ['-r', '44100', '-b', '16', '-c', '2'], format: { rate: 44100, channels: 2 }, maxDiff: 0 },
  { name: '8-bit mono 44.1 kHz to stereo', make: ['-r', '44100', '-b', '8', '-c', '1'], format: { rate: 44100, channels: 2 }, maxDiff: 0 },
  { name: '24-bit stereo 44.1 kHz', make: ['-r', '44100', '-b', '24', '-c', '2'], format: { rate: 44100, channels: 2 }, maxDiff: 1 },
  { name: '32-bit int stereo 44.1 kHz', make: ['-r', '44100', '-b', '32', '-c', '2'], format: { rate: 44100, channels: 2 }, maxDiff: 1 },
  { name: '32-bit float stereo 44.1 kHz', make: ['-r', '44100', '-b', '32', '-e', 'floating-point', '-c', '2'], format: { rate: 44100, channels: 2 }, maxDiff: 1 },
  { name: '24-bit mono 48 kHz to 44.1 kHz stereo', make: ['-r', '48000', '-b', '24', '-c', '1'], format: { rate: 44100, channels: 2 }, maxDiff: 3 },
  { name: '16-bit stereo 22.05 kHz to 44.1 kHz', make: ['-r', '22050', '-b', '16', '-c', '2'], format: { rate: 44100, channels: 2 }, maxDiff: 3 },
  { name: 'float 4 channels 96 kHz to 48 kHz mono', make: ['-r', '96000', '-b', '32', '-e', 'floating-point', '-c', '4'], format: { rate: 48000, channels: 1 }, maxDiff: 3 },
  { name: '24-bit 6 channels 32 kHz (extensible) to 44.1 kHz mono', make: ['-r', '32000', '-b', '24', '-c', '6'], format: { rate: 44100, channels: 1 }, maxDiff: 3 },
];

for (const c of CASES) {
  test(`WAV ${c.name} converts as sox does (max ${c.maxDiff} LSB)`, async () => {
    await withDir(async (dir) => {
      const wav = join(dir, 'in.wav');
      await run('sox', ['-n', ...c.make, wav, 'synth', '0.7', 'sine', '60-9000', 'sine', '440', 'remix', '-', 'gain', '-4', 'fade', '0.02', '0.7', '0.02']);
      if (c.make.includes('24')) {
        const code = (await readFile(wav)).readUInt16LE(20);
        assert.equal(code, 0xfffe, 'sox wrote WAVE_FORMAT_EXTENSIBLE');
      }
      assert.equal(detectInputType(await readFile(wav)), 'wav');
      const ours = await convert(wav, c.format);
      const theirs = await soxConvert(wav, c.format, join(dir, 'sox.raw'));
      const { maxDiff, rmsDb } = compare(ours, theirs);
      console.log(`# ${c.name}: max difference ${maxDiff} LSB, rms difference ${rmsDb.toFixed(1)} dBFS`);
      assert.ok(maxDiff <= c.maxDiff, `max difference ${maxDiff} LSB`);
      if (c.maxDiff > 1) assert.ok(rmsDb < -70, `rms difference ${rmsDb} dBFS`);
    });
  });
}

test('detectInputType: MThd is MIDI, RIFF....WAVE is WAV, anything else is raw PCM', () => {
  assert.equal(detectInputType(Buffer.from('MThd\0\0\0\x06')), 'midi');
  assert.equal(detectInputType(Buffer.from('RIFF\x24\0\0\0WAVEfmt ')), 'wav');
  assert.equal(detectInputType(Buffer.from('RIFF\x24\0\0\0RMIDdata')), 'midi');
  assert.equal(detectInputType(Buffer.from('RIFF\x24\0\0\0AVI LIST')), 'pcm');
  assert.equal(detectInputType(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])), 'pcm');
  assert.equal(detectInputType(Buffer.alloc(0)), 'pcm');
});
