import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudiofsError } from '../../lib/base/errors.js';
import { applyStripText, defaultStrip, formatStrip } from '../../lib/mix/strip.js';

test('a chain strip reads back its lines, volume in the form it was written', () => {
  const s = applyStripText(defaultStrip(), 'volume -6dB\npan -0.25\nmute on\nsolo on\n');
  assert.equal(formatStrip(s), 'volume -6dB\npan -0.25\nmute on\nsolo on\n');
  assert.ok(Math.abs(s.volume.gain - Math.pow(10, -6 / 20)) < 1e-12);
  const t = applyStripText(s, 'volume 0.5\nmute off');
  assert.deepEqual(t, { volume: { gain: 0.5, text: '0.5' }, pan: -0.25, mute: false, solo: true });
  assert.equal(formatStrip(defaultStrip()), 'volume 1\npan 0\nmute off\nsolo off\n');
});

test('the master takes volume and mute only', () => {
  const m = applyStripText(defaultStrip(), 'volume 2\nmute on\n', { master: true });
  assert.equal(formatStrip(m, { master: true }), 'volume 2\nmute on\n');
  assert.throws(() => applyStripText(m, 'pan 0.5', { master: true }), (err: unknown) => {
    assert.ok(err instanceof AudiofsError);
    assert.equal(err.code, 'EINVAL');
    assert.equal(err.message, "EINVAL: line 1: unknown setting 'pan' (expected volume or mute), write '/mixer'");
    return true;
  });
});

test('a bad line is refused with EINVAL saying what was expected, and nothing is applied', () => {
  const cases: Array<[string, string]> = [
    ['volume loud', "line 1: expected a linear gain from 0 to 16 such as 0.5, or decibels such as -6dB, got 'loud'"],
    ['mute 1', "line 1: expected 'mute on' or 'mute off', got 'mute 1'"],
    ['volume 0.5\npan 2', "line 2: expected 'pan P' with P from -1 to 1, got 'pan 2'"],
    ['gain 3', "line 1: unknown setting 'gain' (expected volume, pan, mute or solo)"],
    ['volume -1', "line 1: expected a linear gain from 0 to 16 such as 0.5, or decibels such as -6dB, got '-1'"],
  ];
  for (const [text, detail] of cases) {
    assert.throws(() => applyStripText(defaultStrip(), text, { path: '/piano/mixer' }), (err: unknown) => {
      assert.ok(err instanceof AudiofsError);
      assert.equal(err.code, 'EINVAL');
      assert.equal(err.detail, detail);
      assert.equal(err.path, '/piano/mixer');
      return true;
    });
  }
});
