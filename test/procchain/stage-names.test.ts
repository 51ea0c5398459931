import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStageName, stageNames } from '../../lib/procchain/stage-names.js';

const CHAIN_FILES = ['in', 'out', 'ctl', 'mixer'];

test('a stage is named by the last element of its command path', () => {
  assert.deepEqual(stageNames([['audiofs-synth'], ['/usr/bin/sox', '-q'], ['audio/filter', '-low', '2000']]), ['audiofs-synth', 'sox', 'filter']);
});

test('last elements that collide with different paths use the whole path with / as _', () => {
  assert.deepEqual(stageNames([['audio/synth'], ['test/synth']]), ['audio_synth', 'test_synth']);
  assert.deepEqual(stageNames([['/opt/a/synth'], ['synth']]), ['opt_a_synth', 'synth']);
});

test('identical commands add their arguments with - up to and including the first that differs', () => {
  assert.deepEqual(stageNames([['fx', '-echo', '300'], ['fx', '-echo', '0.43']]), ['fx-echo-300', 'fx-echo-0.43']);
  assert.deepEqual(stageNames([['fx', '-gain', '-6', '-x'], ['fx', '-pan', '1']]), ['fx-gain', 'fx-pan']);
  assert.deepEqual(stageNames([['fx', '-a', '1', 'b', 'c'], ['fx', '-a', '1', 'z']]), ['fx-a-1-b', 'fx-a-1-z']);
});

test('leading dashes are dropped, empty pieces skipped, / in an argument becomes _', () => {
  assert.deepEqual(stageNames([['sox', '--', 'a/b'], ['sox', '--', '-', 'x']]), ['sox-a_b', 'sox']);
  assert.deepEqual(stageNames([['tr', '---x', '', 'y'], ['tr', '---x', '', 'z']]), ['tr-x-y', 'tr-x-z']);
});

test('a name still taken gets -2, -3', () => {
  assert.deepEqual(stageNames([['cat'], ['cat'], ['cat']]), ['cat', 'cat-2', 'cat-3']);
  assert.deepEqual(stageNames([['fx', '-a'], ['fx', '-a'], ['fx', '-b']]), ['fx-a', 'fx-a-2', 'fx-b']);
});

test('names of the chain directory (in, out, ctl, mixer) are taken, and the next stage avoids existing ones', () => {
  assert.deepEqual(stageNames([['/bin/in'], ['out']], CHAIN_FILES), ['in-2', 'out-2']);
  assert.equal(nextStageName(['cat'], [...CHAIN_FILES, 'cat', 'cat-2']), 'cat-3');
  assert.equal(nextStageName(['/usr/bin/sox', '-q'], CHAIN_FILES), 'sox');
});

test('a command whose last element is . or .. or has control characters still gives a usable directory name', () => {
  assert.deepEqual(stageNames([['./']]), ['_.']);
  assert.deepEqual(stageNames([['a\x01b']]), ['a_b']);
});
