import { test } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { dumpYaml } from '../../lib/vfs/yaml-text.js';

const DUMP = { lineWidth: -1, skipInvalid: true };

/** Strings js-yaml writes in every style it has: plain, single- and double-quoted, and keywords it must quote. */
const AWKWARD = ['plain', '', ' lead', 'trail ', 'yes', 'no', 'null', '~', 'true', '123', '0x1f', '1e3', '.inf', 'a: b', 'a #b', '- x', '? x', '[x]', '{x}',
  "it's", 'say "hi"', 'tab\there', 'cr\rhere', 'bell\x07', 'é ü 漢字', '😀', '@at', '`tick', '%pct', '!bang', '&amp', '*star', '|pipe', '>gt',
  'sox -D -q -t raw - synth 600 sine 200', "audiofs-fx -echo 0.3 'a b'", '127.0.0.1:8000', '-12.5', 'a'.repeat(300)];

test('dumpYaml gives exactly what yaml.dump gives for a /status-like document, awkward strings and numbers included', () => {
  const stages = AWKWARD.map((s, i) => ({ name: s, command: `cmd ${s}`, pid: i % 3 === 0 ? null : 1000 + i, state: s, bypassed: i % 2 === 0, out_bytes: i * 4096, ...(i % 5 === 0 ? { exit_code: 3, signal: null } : {}) }));
  const chains: Record<string, unknown> = {};
  for (const [i, s] of AWKWARD.entries()) {
    chains[s] = { state: 'idle', peak_db: [-Infinity, -0.5, 0, -120.25, 1e-7, -0, Infinity, 1e21, 2.5e-300, -3e-7, 123456.789, 0.1 + 0.2][i % 12], rms_db: Number.NaN, xruns: i, nested: { empty: {}, list: [], deep: [[1, 2], [], [{}], { x: undefined, y: 1 }] }, input: { bytes: 0, type: 'auto', live: false }, stages: structuredClone(stages.slice(0, i % 4)), skipped: undefined };
  }
  const doc = { transport: 'stopped', mode: 'realtime', position: 12.345, loop: 'off', steps: null, master: { peak_db: -Infinity, clipped: 0 }, late_skips: 0, outputs: { http: 'off', mp3: [{ bitrate: 128, dropped: 0 }] }, chains };
  assert.equal(dumpYaml(doc), yaml.dump(doc, DUMP));
  assert.deepEqual(yaml.load(dumpYaml(doc)), yaml.load(yaml.dump(doc, DUMP)));
});

test('dumpYaml hands a multi-line string or a class instance to yaml.dump whole, and agrees with it', () => {
  const multi = { chains: { a: { error: 'line one\nline two\n', stages: [{ err: 'x\ny' }] } } };
  assert.equal(dumpYaml(multi), yaml.dump(multi, DUMP));
  const date = { at: new Date(0), n: 1 };
  assert.equal(dumpYaml(date), yaml.dump(date, DUMP));
  assert.equal(dumpYaml({}), yaml.dump({}, DUMP));
});
