import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../lib/mix/engine.js';
import { FileExportSink, exportKindOf } from '../../../lib/mix/sinks/file-export.js';
import { AudiofsError } from '../../../lib/base/errors.js';
import { bufferSource, rawArgs, soxSynth, tempDir } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
const A = soxSynth(join(tmp.dir, 'a.raw'), ['2.5', 'sine', '440'], { effects: ['gain', '-6'] });
const B = soxSynth(join(tmp.dir, 'b.raw'), ['1.7', 'pinknoise'], { effects: ['gain', '-12'] });

async function exportTo(file: string, options: { trace?: boolean } = {}): Promise<FileExportSink> {
  const engine = new Engine({ mode: 'export' });
  engine.addSource(bufferSource('a', A));
  engine.addSource(bufferSource('b', B));
  engine.setTrace({ on: options.trace ?? false });
  const sink = await FileExportSink.open({ file, format: { rate: 44100, channels: engine.traceChannels() } });
  engine.addSink(sink, { endWithRun: true });
  const ended = engine.whenEnded();
  await engine.start();
  await ended;
  return sink;
}

function sox(args: string[]): Buffer {
  return execFileSync('sox', args, { maxBuffer: 1 << 28 });
}

test('a WAV export is read back by sox with the right header and the mixed samples', async () => {
  const file = join(tmp.dir, 'song.wav');
  await exportTo(file);
  const info = execFileSync('soxi', [file]).toString();
  assert.match(info, /Channels\s+: 2\n/);
  assert.match(info, /Sample Rate\s+: 44100\n/);
  assert.match(info, /Precision\s+: 16-bit\n/);
  assert.match(info, /Duration\s+: 00:00:02\.50 = 110250 samples/);
  const back = sox([file, ...rawArgs(), '-']);
  const want = sox(['-D', '-m', '-v', '1', ...rawArgs(), join(tmp.dir, 'a.raw'), '-v', '1', ...rawArgs(), join(tmp.dir, 'b.raw'), ...rawArgs(), '-']);
  assert.ok(back.equals(want), 'the WAV holds exactly sox -m of the two sources');
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp')), []);
});

test('a traced WAV export has one channel pair per source', async () => {
  const file = join(tmp.dir, 'trace.wav');
  await exportTo(file, { trace: true });
  assert.match(execFileSync('soxi', [file]).toString(), /Channels\s+: 4\n/);
  const drums = sox([file, ...rawArgs(), '-', 'remix', '3', '4']);
  assert.ok(drums.equals(Buffer.concat([B, Buffer.alloc(A.length - B.length)])), 'channels 3 and 4 carry source b alone');
});

test('a raw export is the mix itself', async () => {
  const file = join(tmp.dir, 'song.raw');
  const sink = await exportTo(file);
  assert.equal(readFileSync(file).length, A.length);
  assert.equal(sink.received, A.length);
});

test('an MP3 export decodes with mpg123 to the right duration (within LAME padding)', async () => {
  const file = join(tmp.dir, 'song.mp3');
  await exportTo(file);
  const pcm = execFileSync('mpg123', ['-q', '-s', file], { maxBuffer: 1 << 28 });
  const frames = pcm.length / 4;
  // LAME adds its encoder delay (576 + 529 samples) and pads the last frame to 1152: at most ~2 frames more.
  assert.ok(frames >= 110250 && frames <= 110250 + 2 * 1152 + 1105, `decoded ${frames} frames for 110250`);
  const check = execFileSync('mpg123', ['-t', file], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  assert.equal(check, '');
});

test('an unknown extension is EINVAL saying what was expected, and no file is left', async () => {
  assert.throws(() => exportKindOf('/x/song.ogg'), (err: unknown) => {
    assert.ok(err instanceof AudiofsError);
    assert.equal(err.message, "EINVAL: unknown extension '.ogg' (expected .wav, .mp3, .raw or .pcm), export '/x/song.ogg'");
    return true;
  });
  await assert.rejects(FileExportSink.open({ file: join(tmp.dir, 'song'), format: { rate: 44100, channels: 2 } }), { code: 'EINVAL' });
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.startsWith('.')), []);
});

test('the file appears under its name only when complete', async () => {
  const file = join(tmp.dir, 'late.wav');
  const sink = await FileExportSink.open({ file, format: { rate: 44100, channels: 2 } });
  await sink.write(Buffer.alloc(4000));
  assert.ok(!readdirSync(tmp.dir).includes('late.wav'));
  assert.equal(readdirSync(tmp.dir).filter((f) => f.startsWith('.late.wav.')).length, 1);
  await sink.end();
  assert.equal(readFileSync(file).length, 4044);
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.startsWith('.late.wav.')), []);
});

test('a raw export written from many small periods holds every byte in order (queued writes coalesce)', async () => {
  const file = join(tmp.dir, 'many.raw');
  const sink = await FileExportSink.open({ file, format: { rate: 44100, channels: 2 } });
  const writes: Array<Promise<void>> = [];
  for (let off = 0; off < A.length; off += 4 * 37) writes.push(sink.write(A.subarray(off, Math.min(A.length, off + 4 * 37))));
  await Promise.all(writes);
  await sink.end();
  assert.ok(readFileSync(file).equals(A), 'the file is the periods, concatenated');
  assert.equal(sink.received, A.length);
});
