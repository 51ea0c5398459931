import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Meter } from '../../lib/mix/meter.js';

const dbfs = (amplitude: number) => Math.round(200 * Math.log10(amplitude / 32768)) / 10;

test('samples handed over as they are count like summed blocks, silence past them included, until they leave the window', () => {
  const meter = new Meter(2);
  meter.addSamples(new Int16Array(100).fill(-16384), 100);
  meter.commit();
  assert.deepEqual(meter.levels(), { peakDb: dbfs(16384), rmsDb: dbfs(16384) });
  // 100 samples at 8192 and 300 of silence: RMS is 8192 * sqrt(100 / 400).
  meter.addSamples(new Int16Array(100).fill(8192), 400);
  meter.addBlock(0, 0, 0);
  meter.commit();
  assert.deepEqual(meter.levels(), { peakDb: dbfs(16384), rmsDb: dbfs(Math.sqrt((100 * 16384 ** 2 + 100 * 8192 ** 2) / 500)) });
  meter.addBlock(4096, 4096 * 4096 * 10, 10);
  meter.commit();
  assert.deepEqual(meter.levels(), { peakDb: dbfs(8192), rmsDb: dbfs(Math.sqrt((100 * 8192 ** 2 + 10 * 4096 ** 2) / 410)) }, 'the first period has left the window');
  meter.commit();
  meter.commit();
  assert.deepEqual(meter.levels(), { peakDb: -Infinity, rmsDb: -Infinity });
});
