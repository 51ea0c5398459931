import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, runBin } from '../dsp/run-program.js';

const USAGE = {
  'audiofs-tone': 'usage: audiofs-tone FREQ [--wave sine|square|saw|triangle] [--seconds S] [--gain DB]\n',
  'audiofs-filter': 'usage: audiofs-filter -low|-high|-band FREQ [Q]\n',
  'audiofs-fx': 'usage: audiofs-fx [-echo SECONDS [FEEDBACK]] [-gain DB] [-reverb [ROOM]] [-pan P] ...\n',
  'audiofs-synth': 'usage: audiofs-synth [--voices N] < song.mid\n',
};

test('every program prints its usage and help on --help and exits 0', async () => {
  for (const [name, usage] of Object.entries(USAGE)) {
    const r = await runBin(name, ['--help']);
    assert.equal(r.code, 0, name);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.toString().startsWith(`${usage}\n`), `${name} --help starts with its usage line`);
    assert.ok(r.stdout.length > usage.length + 100, `${name} --help explains the options`);
  }
});

const BAD: [keyof typeof USAGE, string[], Record<string, string>, string][] = [
  ['audiofs-tone', [], {}, "expected one FREQ, got none"],
  ['audiofs-tone', ['loud'], {}, "FREQ: expected a number, got 'loud'"],
  ['audiofs-tone', ['30000'], {}, 'FREQ: expected more than 0 and less than the Nyquist frequency 22050 Hz, got 30000'],
  ['audiofs-tone', ['440', '--wave', 'noise'], {}, "--wave: expected sine, square, saw, triangle, got 'noise'"],
  ['audiofs-tone', ['440', '--seconds', '-1'], {}, '--seconds: expected 0 or more, got -1'],
  ['audiofs-tone', ['440', '--volume', '3'], {}, "unknown option '--volume' (expected --wave, --seconds, --gain)"],
  ['audiofs-filter', [], {}, 'expected -low, -high or -band, got nothing'],
  ['audiofs-filter', ['-notch', '100'], {}, "expected -low, -high or -band, got '-notch'"],
  ['audiofs-filter', ['-low'], {}, '-low FREQ: expected a number, got nothing'],
  ['audiofs-filter', ['-low', '24000'], { AUDIOFS_RATE: '48000' }, 'lowpass frequency: expected more than 0 and less than the Nyquist frequency 24000 Hz, got 24000'],
  ['audiofs-filter', ['-band', '1000', '0'], {}, 'bandpass Q: expected a positive number, got 0'],
  ['audiofs-filter', ['-high', '100', '1', '2'], {}, "expected at most FREQ and Q after -high, got '100 1 2'"],
  ['audiofs-fx', [], {}, 'expected at least one effect (-echo, -gain, -reverb, -pan), got none'],
  ['audiofs-fx', ['-wah'], {}, "unknown effect '-wah' (expected -echo, -gain, -reverb, -pan)"],
  ['audiofs-fx', ['-echo'], {}, '-echo SECONDS: expected a number, got nothing'],
  ['audiofs-fx', ['-echo', '0.3', '1.5'], {}, 'echo feedback: expected a factor from 0 to below 1, got 1.5'],
  ['audiofs-fx', ['-gain', 'x'], {}, "-gain DB: expected a number, got 'x'"],
  ['audiofs-fx', ['-pan', '2'], {}, 'pan: expected a position from -1 (left) to 1 (right), got 2'],
  ['audiofs-fx', ['-reverb', '3'], {}, 'reverb room: expected a size from 0 to 1, got 3'],
  ['audiofs-synth', ['song.mid'], {}, "unknown argument 'song.mid' (expected --voices N; MIDI comes on stdin)"],
  ['audiofs-synth', ['--voices', '0'], {}, "--voices: expected a whole number of 1 or more, got '0'"],
];

test('bad arguments exit 2 with what was expected and the usage line, writing no audio', async () => {
  for (const [name, args, env, message] of BAD) {
    const r = await runBin(name, args, { env });
    assert.deepEqual({ code: r.code, stderr: r.stderr, stdout: r.stdout.length }, { code: 2, stderr: `${name}: ${message}\n${USAGE[name]}`, stdout: 0 }, `${name} ${args.join(' ')}`);
  }
});

test('a bad AUDIOFS_RATE is refused with exit 1 and the reason', async () => {
  const r = await runBin('audiofs-tone', ['440', '--seconds', '0.1'], { env: { AUDIOFS_RATE: 'fast' } });
  assert.deepEqual({ code: r.code, stderr: r.stderr }, { code: 1, stderr: "audiofs-tone: AUDIOFS_RATE: expected a whole number of hertz from 1000 to 384000, got 'fast'\n" });
});

test('a malformed MIDI file is refused with exit 1 and the reader\'s reason', async () => {
  const r = await runBin('audiofs-synth', [], { input: Buffer.from('MThd\x00\x00\x00\x06\x00') });
  assert.deepEqual({ code: r.code, stderr: r.stderr, stdout: r.stdout.length }, {
    code: 1,
    stderr: 'audiofs-synth: MIDI: truncated header chunk: expected 6 byte(s), 1 left before the end of the file at byte 9 at byte offset 8\n',
    stdout: 0,
  });
});

test('the launchers work through a symlink (as when installed on PATH)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-bin-'));
  try {
    for (const name of Object.keys(USAGE)) {
      await symlink(join(ROOT, 'bin', name), join(dir, name));
      const r = spawnSync(join(dir, name), ['--help'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${name} through a symlink: ${r.stderr}`);
    }
    // A whole pipeline of shipped programs, as in the README.
    const r = spawnSync('sh', ['-c', `${dir}/audiofs-tone 1000 --seconds 0.5 | ${dir}/audiofs-filter -low 2000 | ${dir}/audiofs-fx -gain -6 | wc -c`], { encoding: 'utf8' });
    assert.equal(r.stdout.trim(), String(22050 * 4));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
