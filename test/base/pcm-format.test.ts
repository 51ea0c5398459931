import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesPerSecond, framesToBytes, bytesToFrames, secondsToFrames, formatFromEnv, DEFAULT_FORMAT } from '../../lib/base/pcm-format.js';

test('one second of the default format is rate x channels x 2 bytes', () => {
  assert.equal(bytesPerSecond(DEFAULT_FORMAT), 176400);
  assert.equal(framesToBytes(512, DEFAULT_FORMAT), 2048);
  assert.equal(bytesToFrames(2047, DEFAULT_FORMAT), 511);
  assert.equal(secondsToFrames(1.5, { rate: 48000, channels: 1 }), 72000);
});

test('the client format comes from the environment and bad values are refused with what was expected', () => {
  assert.deepEqual(formatFromEnv({ AUDIOFS_RATE: '48000', AUDIOFS_CHANNELS: '1' }), { rate: 48000, channels: 1 });
  assert.deepEqual(formatFromEnv({}), DEFAULT_FORMAT);
  assert.throws(() => formatFromEnv({ AUDIOFS_RATE: 'fast' }), /AUDIOFS_RATE: expected a whole number of hertz from 1000 to 384000, got 'fast'/);
});
