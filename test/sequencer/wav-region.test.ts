import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MemoryInputStore } from '../../lib/procchain/input-store.js';
import { WavConversion } from '../../lib/sequencer/wav-conversion.js';
import { WavFrameConverter } from '../../lib/sequencer/wav-frames.js';
import { parseWavHeader, WavFormatError } from '../../lib/sequencer/wav-header.js';
import { WavToPcm } from '../../lib/sequencer/wav-input.js';
import { planWavRegion } from '../../lib/sequencer/wav-region.js';
import type { PcmFormat } from '../../lib/base/pcm-format.js';

const run = promisify(execFile);
const FORMAT: PcmFormat = { rate: 44100, channels: 2 };
const BPF = 4;

async function soxWav(dir: string, name: string, make: string[]): Promise<Buffer> {
  const path = join(dir, name);
  await run('sox', ['-D', '-n', ...make, path, 'synth', '1.3', 'sine', '100-8000', 'sine', '523', 'remix', '-', 'gain', '-3']);
  return readFile(path);
}

async function wholeConversion(wav: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(Readable.from([wav]), new WavToPcm({ format: FORMAT }), new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } }));
  return Buffer.concat(parts);
}

/** Converts only what the plan says to read, in odd-sized pieces. */
function regionConversion(wav: Buffer, region: { from: number; to?: number }): { pcm: Buffer; start: number } {
  const header = parseWavHeader(wav)!;
  const plan = planWavRegion(header, wav.length, region, FORMAT);
  const converter = new WavFrameConverter(header, { format: FORMAT, start: plan.start, outputEnd: plan.outputEnd });
  const parts: Buffer[] = [];
  for (let at = plan.inputFrom; at < plan.inputTo; at += 777) converter.push(wav.subarray(at, Math.min(at + 777, plan.inputTo)), (b) => parts.push(b));
  converter.flush((b) => parts.push(b));
  return { pcm: Buffer.concat(parts), start: plan.start.output };
}

const REGIONS = [{ from: 0 }, { from: 0.5, to: 1.2 }, { from: 1.1 }, { from: 0.31, to: 0.32 }, { from: 0, to: 0.0001 }, { from: 2, to: 3 }];

for (const [name, make] of [
  ['48 kHz mono 24-bit', ['-r', '48000', '-c', '1', '-b', '24']],
  ['22.05 kHz stereo 16-bit', ['-r', '22050', '-c', '2', '-b', '16']],
  ['44.1 kHz 4 channels float', ['-r', '44100', '-c', '4', '-b', '32', '-e', 'floating-point']],
  ['96 kHz stereo 16-bit', ['-r', '96000', '-c', '2', '-b', '16']],
] as const) {
  test(`a region of a ${name} WAV converts to exactly the same samples as the whole file cut there`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audiofs-wav-region-'));
    try {
      const wav = await soxWav(dir, 'in.wav', [...make]);
      const whole = await wholeConversion(wav);
      for (const region of REGIONS) {
        const { pcm, start } = regionConversion(wav, region);
        const from = Math.min(Math.round(region.from * 44100), whole.length / BPF);
        const to = region.to === undefined ? whole.length / BPF : Math.min(Math.round(region.to * 44100), whole.length / BPF);
        assert.equal(start, from, `${JSON.stringify(region)}: first frame`);
        assert.ok(pcm.equals(whole.subarray(from * BPF, Math.max(from, to) * BPF)),
          `${JSON.stringify(region)}: ${pcm.length} bytes, expected ${(Math.max(from, to) - from) * BPF} equal to the whole conversion`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('WavConversion converts a region in a worker thread into a spill file, readable as it grows, removed on dispose', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-wav-region-'));
  try {
    const wav = await soxWav(dir, 'in.wav', ['-r', '32000', '-c', '1', '-b', '16']);
    const whole = await wholeConversion(wav);
    const store = new MemoryInputStore();
    store.write(0, wav);
    let progress = 0;
    const conversion = await WavConversion.start(store, { format: FORMAT, region: { from: 0.25, to: 1 }, dir, onProgress: () => progress++ });
    await conversion.whenEnded();
    assert.equal(conversion.error, undefined);
    assert.equal(conversion.converting, false);
    assert.ok(progress >= 1, 'progress was reported');
    const from = Math.round(0.25 * 44100) * BPF;
    const got = await conversion.read(0, conversion.size + 100);
    assert.ok(got.equals(whole.subarray(from, 44100 * BPF)), `${got.length} bytes, expected ${44100 * BPF - from}`);
    const spills = (await run('ls', [dir])).stdout.split('\n').filter((n) => n.endsWith('.spill'));
    assert.equal(spills.length, 1, 'one spill file while it lives');
    await conversion.dispose();
    assert.deepEqual((await run('ls', [dir])).stdout.split('\n').filter((n) => n.endsWith('.spill')), [], 'the spill file is removed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a WAV whose header does not match its data is refused before any conversion, saying what was expected', async () => {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  const make = (rate: number, channels: number, declared: number, data: number) => {
    const f = Buffer.from(fmt);
    f.writeUInt16LE(1, 8);
    f.writeUInt16LE(channels, 10);
    f.writeUInt32LE(rate, 12);
    f.writeUInt32LE((rate * channels * 2) % 2 ** 32, 16);
    f.writeUInt16LE(channels * 2, 20);
    f.writeUInt16LE(16, 22);
    const head = Buffer.alloc(20);
    head.write('RIFF', 0, 'latin1');
    head.writeUInt32LE(36 + data, 4);
    head.write('WAVE', 8, 'latin1');
    const d = Buffer.alloc(8);
    d.write('data', 0, 'latin1');
    d.writeUInt32LE(declared, 4);
    return Buffer.concat([head.subarray(0, 12), f, d, Buffer.alloc(data)]);
  };
  const refused = async (wav: Buffer, message: string) => {
    const store = new MemoryInputStore();
    store.write(0, wav);
    await assert.rejects(WavConversion.start(store, { format: FORMAT, region: { from: 0 }, dir: tmpdir() }),
      (err: unknown) => err instanceof WavFormatError && err.message === message);
  };
  await refused(make(1, 2, 80000, 80000), 'WAV: sample rate: expected 1000 to 768000 Hz, got 1 at byte offset 24');
  await refused(make(0xffffffff, 2, 80000, 80000), 'WAV: sample rate: expected 1000 to 768000 Hz, got 4294967295 at byte offset 24');
  await refused(make(8000, 2, 0x7ffffff0, 400), 'WAV: data chunk declares 2147483632 bytes, the file ended after 400 at byte offset 444');
});
