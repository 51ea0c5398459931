import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FORMAT } from '../../lib/base/pcm-format.js';
import { decodeTrack, sniffContainer } from '../../lib/dj/decode.js';
import { sh } from './helpers.js';

/** Signal-to-noise ratio in dB of `ours` against the oracle's s16le, over the frames both have. */
function snr(ours: Float32Array[], oracle: Buffer, channels: number): number {
  const pcm = new Int16Array(oracle.buffer, oracle.byteOffset, oracle.length >> 1);
  const frames = Math.min(ours[0].length, pcm.length / channels);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const want = pcm[i * channels + c] / 32768;
      signal += want * want;
      noise += (ours[c][i] - want) ** 2;
    }
  }
  return 10 * Math.log10(signal / Math.max(noise, 1e-20));
}

test('WAV, FLAC, Ogg Vorbis and MP3 at 22.05, 32, 44.1 and 48 kHz decode like sox and mpg123 decode them (into 44.1 kHz stereo)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dj-decode-'));
  try {
    const cases = [
      { name: 'a44.flac', rate: 44100, minSnr: 90, lengthExact: true },
      { name: 'a48.flac', rate: 48000, minSnr: 40, lengthExact: false },
      { name: 'a32.flac', rate: 32000, minSnr: 40, lengthExact: false },
      { name: 'a44.ogg', rate: 44100, minSnr: 60, lengthExact: true },
      { name: 'a48.ogg', rate: 48000, minSnr: 35, lengthExact: false },
      { name: 'a44.mp3', rate: 44100, minSnr: 60, lengthExact: true },
      { name: 'a48.mp3', rate: 48000, minSnr: 35, lengthExact: false },
      // WAV through the sequencer's reader and resampler (the one audiofs converts `in` files with).
      { name: 'a44.wav', rate: 44100, minSnr: 90, lengthExact: true },
      { name: 'a48.wav', rate: 48000, minSnr: 85, lengthExact: false },
      { name: 'a22.wav', rate: 22050, minSnr: 85, lengthExact: false },
    ];
    for (const c of cases) {
      const file = join(dir, c.name);
      const wav = `${file}.wav`;
      await sh('sox', ['-n', '-r', String(c.rate), '-c', '2', '-b', '16', wav, 'synth', '3', 'sine', '440', 'sine', '1000', 'gain', '-3']);
      if (c.name.endsWith('.mp3')) await sh('lame', ['--quiet', '-b', '256', wav, file]);
      else await sh('sox', [wav, file]);
      const bytes = await readFile(file);
      const ours = await decodeTrack(bytes, DEFAULT_FORMAT, file);
      // MP3 through mpg123 first (it drops the encoder's delay and padding, as ours does), then sox resamples.
      let source = file;
      if (c.name.endsWith('.mp3')) await sh('mpg123', ['-q', '-w', (source = `${file}.mpg123.wav`), file]);
      const oracle = await sh('sox', [source, '-t', 'raw', '-e', 'signed', '-b', '16', '-c', '2', '-r', '44100', '-'], 'buffer');
      const expected = oracle.length / 4;
      if (c.lengthExact) assert.equal(ours.frames, expected, `${c.name}: frames`);
      else assert.ok(Math.abs(ours.frames - expected) <= 2, `${c.name}: expected ${expected} frames (+-2), got ${ours.frames}`);
      const s = snr(ours.channels, oracle, 2);
      assert.ok(s >= c.minSnr, `${c.name}: expected an SNR against sox of at least ${c.minSnr} dB, got ${s.toFixed(1)} dB`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Ogg Opus and unknown bytes are refused with a message naming what is taken', async () => {
  const opusHead = Buffer.concat([Buffer.from('OggS\0\x02', 'latin1'), Buffer.alloc(22), Buffer.from('OpusHead\x01\x02', 'latin1'), Buffer.alloc(10)]);
  assert.equal(sniffContainer(opusHead), 'ogg-opus');
  await assert.rejects(decodeTrack(opusHead, DEFAULT_FORMAT, 'x.opus'), {
    name: 'TrackDecodeError',
    message: "'x.opus': Ogg Opus is not supported (expected a WAV (RIFF....WAVE), MP3 (ID3 or frame sync), FLAC (fLaC) or Ogg Vorbis (OggS) file)",
  });
  await assert.rejects(decodeTrack(Buffer.from('fLaC\0\0\0\0garbage', 'latin1'), DEFAULT_FORMAT, 'bad.flac'), {
    name: 'TrackDecodeError',
    message: "'bad.flac': expected audio frames in the FLAC file, decoded none",
  });
  await assert.rejects(decodeTrack(Buffer.from('ID4 nothing', 'latin1'), DEFAULT_FORMAT, 'n.bin'), {
    message: "'n.bin': expected a WAV (RIFF....WAVE), MP3 (ID3 or frame sync), FLAC (fLaC) or Ogg Vorbis (OggS) file, got 49443420",
  });
});
