import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChainLine, parseRootLine } from '../../lib/studio/ctl-grammar.js';
import { AudiofsError } from '../../lib/base/errors.js';

const ROOT_VERBS = 'play, stop, pause, seek T, loop A B, loop off, steps BARS, step N, realtime on|off, export FILE [A B], collect on|off, trace on|off';
const CHAIN_VERBS = 'play, stop, restart, realtime on|off, type midi|pcm|wav|auto';

/** Asserts that parsing throws an AudiofsError with exactly this code and detail. */
function refuses(f: () => unknown, code: string, detail: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof AudiofsError, `an AudiofsError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.equal(e.detail, detail);
    return true;
  });
}

test('/ctl: every verb parses into its command', () => {
  assert.deepEqual(parseRootLine('play'), { verb: 'play' });
  assert.deepEqual(parseRootLine('  stop  '), { verb: 'stop' });
  assert.deepEqual(parseRootLine('pause'), { verb: 'pause' });
  assert.deepEqual(parseRootLine('seek 12.5'), { verb: 'seek', at: 12.5 });
  assert.deepEqual(parseRootLine('seek 0'), { verb: 'seek', at: 0 });
  assert.deepEqual(parseRootLine('loop 12.5 20'), { verb: 'loop', region: { from: 12.5, to: 20 } });
  assert.deepEqual(parseRootLine('loop off'), { verb: 'loop', region: null });
  assert.deepEqual(parseRootLine('steps 4'), { verb: 'steps', bars: 4 });
  assert.deepEqual(parseRootLine('step 1'), { verb: 'step', n: 1 });
  assert.deepEqual(parseRootLine('realtime off'), { verb: 'realtime', on: false });
  assert.deepEqual(parseRootLine('realtime on'), { verb: 'realtime', on: true });
  assert.deepEqual(parseRootLine('collect on'), { verb: 'collect', on: true });
  assert.deepEqual(parseRootLine('trace off'), { verb: 'trace', on: false });
  assert.deepEqual(parseRootLine('export song.wav'), { verb: 'export', file: 'song.wav', region: null });
  assert.deepEqual(parseRootLine("export 'my song.mp3' 1 2.5"), { verb: 'export', file: 'my song.mp3', region: { from: 1, to: 2.5 } });
});

test('/ctl: NAME cmd args | cmd args makes a chain, quoted by the Plan 9 rules', () => {
  assert.deepEqual(parseRootLine("piano audiofs-synth | audiofs-fx -echo 0.3 | tr a '|'"), {
    verb: 'chain', name: 'piano', stages: [['audiofs-synth'], ['audiofs-fx', '-echo', '0.3'], ['tr', 'a', '|']],
  });
  assert.deepEqual(parseRootLine('play2 cat'), { verb: 'chain', name: 'play2', stages: [['cat']] });
});

test('/ctl: every refusal says what was received and what was expected', () => {
  const W = (line: string, why: string) => refuses(() => parseRootLine(line), 'EINVAL', `'${line}': ${why}`);
  W('plya', `unknown verb 'plya' (expected ${ROOT_VERBS}, or 'NAME cmd args | cmd args ...' to make a chain)`);
  refuses(() => parseRootLine(''), 'EINVAL', `'': empty line (expected ${ROOT_VERBS} or 'NAME cmd args | cmd args ...')`);
  W('play now', "play takes no arguments (got 'now')");
  W('stop 1 2', "stop takes no arguments (got '1 2')");
  W('pause x', "pause takes no arguments (got 'x')");
  W('seek', "seek takes one time in seconds (expected 'seek T')");
  W('seek 1 2', "seek takes one time in seconds (expected 'seek T')");
  W('seek abc', "'abc' is not a time (expected seconds >= 0, e.g. 12.5)");
  W('seek -1', "'-1' is not a time (expected seconds >= 0, e.g. 12.5)");
  W('seek Infinity', "'Infinity' is not a time (expected seconds >= 0, e.g. 12.5)");
  W('seek 1e300', "'1e300' is too late (expected seconds from 0 to 1000000000)");
  W('loop 0 2e9', "'2e9' is too late (expected seconds from 0 to 1000000000)");
  W('loop 5', "expected 'loop A B' (seconds) or 'loop off'");
  W('loop', "expected 'loop A B' (seconds) or 'loop off'");
  W('loop 5 5', 'region 5..5 is empty (expected A < B)');
  W('loop 6 5', 'region 6..5 is empty (expected A < B)');
  W('loop a 5', "'a' is not a time (expected seconds >= 0, e.g. 12.5)");
  W('steps', "expected 'steps BARS' (a whole number of bars per step)");
  W('steps 0', "BARS '0' is not a whole number >= 1");
  W('steps 1.5', "BARS '1.5' is not a whole number >= 1");
  W('step', "expected 'step N' (a step number from 1)");
  W('step -2', "N '-2' is not a whole number >= 1");
  W('realtime maybe', "expected 'realtime on' or 'realtime off'");
  W('realtime', "expected 'realtime on' or 'realtime off'");
  W('collect on off', "expected 'collect on' or 'collect off'");
  W('trace 1', "expected 'trace on' or 'trace off'");
  W('export', "expected 'export FILE' or 'export FILE A B' (seconds)");
  W('export f 1', "expected 'export FILE' or 'export FILE A B' (seconds)");
  W('export f 2 1', 'region 2..1 is empty (expected A < B)');
});

test('/ctl: bad chain names and bad chain lines are refused with EINVAL', () => {
  const N = (line: string, detail: string) => refuses(() => parseRootLine(line), 'EINVAL', detail);
  N('a/b cat', "chain name 'a/b' contains '/' (expected a name without '/')");
  N('. cat', "chain name '.' is '.' or '..' (expected a plain name)");
  N('.. cat', "chain name '..' is '.' or '..' (expected a plain name)");
  N('\x01x cat', "chain name '\\x01x' contains a control character (expected printable characters)");
  N(`${'n'.repeat(256)} cat`, `chain name '${'n'.repeat(256)}' is longer than 255 bytes`);
  const reserved = 'is reserved (expected a name other than ctl, mixer, config, status, log, comments, out, stream.mp3, channels)';
  for (const name of ['ctl', 'mixer', 'config', 'status', 'log', 'comments', 'out', 'stream.mp3', 'channels']) {
    N(`${name} cat`, `chain name '${name}' ${reserved}`);
  }
  N('x cat | | cat', "empty stage in 'x cat | | cat' (expected 'cmd args | cmd args ...')");
  N('x cat |', "empty stage in 'x cat |' (expected 'cmd args | cmd args ...')");
  N('x | cat', "empty stage in 'x | cat' (expected 'cmd args | cmd args ...')");
  N('| cat', "'| cat': a chain line starts with its name (expected 'NAME cmd args | cmd args ...')");
  N("x 'cat", "unterminated quote in 'x 'cat' (expected a closing ')");
  N("x cat 'a''", "unterminated quote in 'x cat 'a''' (expected a closing ')");
});

test('/ctl: a quoted chain name is one word, as /ctl reads it back (quoteWord)', () => {
  assert.deepEqual(parseRootLine("'a b' cat -u | 'tr' x '|'"), { verb: 'chain', name: 'a b', stages: [['cat', '-u'], ['tr', 'x', '|']] });
  assert.deepEqual(parseRootLine("'it''s' cat"), { verb: 'chain', name: "it's", stages: [['cat']] });
});

test('NAME/ctl: every verb parses, every refusal says what was expected', () => {
  const where = '/piano/ctl';
  assert.deepEqual(parseChainLine('play', where), { verb: 'play' });
  assert.deepEqual(parseChainLine('stop', where), { verb: 'stop' });
  assert.deepEqual(parseChainLine('restart', where), { verb: 'restart' });
  assert.deepEqual(parseChainLine('realtime on', where), { verb: 'realtime', on: true });
  assert.deepEqual(parseChainLine('realtime off', where), { verb: 'realtime', on: false });
  for (const t of ['midi', 'pcm', 'wav', 'auto'] as const) assert.deepEqual(parseChainLine(`type ${t}`, where), { verb: 'type', type: t });
  const W = (line: string, why: string) => refuses(() => parseChainLine(line, where), 'EINVAL', `'${line}': ${why}`);
  W('plya', `unknown verb 'plya' (expected ${CHAIN_VERBS})`);
  W('', `unknown verb '' (expected ${CHAIN_VERBS})`);
  refuses(() => parseChainLine('\x02', where), 'EINVAL', `'\\x02': unknown verb '\\x02' (expected ${CHAIN_VERBS})`);
  W('play now', "play takes no arguments (got 'now')");
  W('restart 2', "restart takes no arguments (got '2')");
  W('realtime maybe', "expected 'realtime on' or 'realtime off'");
  W('type mp3', "expected 'type midi', 'type pcm', 'type wav' or 'type auto'");
  W('type', "expected 'type midi', 'type pcm', 'type wav' or 'type auto'");
  W('seek 5', `unknown verb 'seek' (expected ${CHAIN_VERBS})`);
  refuses(() => parseChainLine("type 'midi", where), 'EINVAL', "unterminated quote in 'type 'midi' (expected a closing ')");
});
