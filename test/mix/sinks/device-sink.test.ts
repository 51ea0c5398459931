import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../../lib/mix/engine.js';
import { DeviceSink } from '../../../lib/mix/sinks/device-sink.js';
import { DEFAULT_FORMAT } from '../../../lib/base/pcm-format.js';
import { Logger } from '../../../lib/base/logger.js';
import { bufferSource, soxMix, soxSynth, tempDir } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
const alsaConf = fileURLToPath(new URL('../../../../fixtures/alsa/asound.conf', import.meta.url));
const captured = join(tmp.dir, 'card.raw');
// Before PortAudio is loaded: the default ALSA PCM becomes a `type file` PCM writing to `captured`.
process.env.ALSA_CONFIG_PATH = alsaConf;
process.env.AUDIOFS_ALSA_FILE = captured;

test('PortAudio really writes the mix into an ALSA file PCM; the signal matches what the engine produced', async () => {
  const a = join(tmp.dir, 'a.raw');
  const b = join(tmp.dir, 'b.raw');
  soxSynth(a, ['1.5', 'sine', '330'], { effects: ['gain', '-8'] });
  soxSynth(b, ['1.5', 'sine', '1000:3000'], { effects: ['gain', '-10'] });
  const want = soxMix([{ file: a, v: 1 }, { file: b, v: 1 }], join(tmp.dir, 'ab.raw'));
  const logger = new Logger({ level: 'info' });
  const sink = DeviceSink.open({ device: 'auto', format: DEFAULT_FORMAT, logger });
  assert.ok(sink, `the device opened (log: ${logger.recent().join(' ')})`);
  const engine = new Engine({ mode: 'export' });
  engine.addSource(bufferSource('a', readFileSync(a)));
  engine.addSource(bufferSource('b', readFileSync(b)));
  engine.addSink(sink, { endWithRun: true });
  const ended = engine.whenEnded();
  await engine.start();
  await ended;
  const got = readFileSync(captured);
  // PortAudio primes the device with silence and pads the last buffer: find where the signal starts.
  let start = 0;
  while (start < got.length && got.readInt16LE(start) === 0) start += 2;
  start -= start % 4;
  const firstNonZero = want.findIndex((_, i) => i % 2 === 0 && want.readInt16LE(i) !== 0);
  const offset = start - (firstNonZero - (firstNonZero % 4));
  assert.ok(offset >= 0, `the card file starts ${offset} bytes before the mix`);
  const body = got.subarray(offset, offset + want.length);
  assert.ok(body.equals(want), `the card got the mix sample for sample after ${offset / 4} frames of priming silence`);
  assert.ok(got.subarray(0, offset).equals(Buffer.alloc(offset)), 'before it: silence only');
  assert.ok(got.subarray(offset + want.length).equals(Buffer.alloc(got.length - offset - want.length)), 'after it: silence only');
  assert.equal(sink.errors, 0);
});

test('a device name that does not exist is refused with the names there are; off gives no sink', () => {
  assert.equal(DeviceSink.open({ device: 'off', format: DEFAULT_FORMAT }), null);
  assert.throws(() => DeviceSink.open({ device: 'Nope', format: DEFAULT_FORMAT }), {
    message: "device: no output device 'Nope' (expected auto, off, or one of: default)",
  });
});
