import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mp3FrameSplitter, parseMp3FrameHeader } from '../../../lib/mix/sinks/mp3-frames.js';
import { soxSynth, tempDir } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

test('the splitter cuts the lame CLI output, fed in odd pieces, into runs of whole frames; mpg123 agrees on the count', () => {
  for (const [rate, bitrate] of [[44100, 128], [22050, 64]]) {
    const format = { rate, channels: 2 };
    const raw = join(tmp.dir, `in-${rate}.raw`);
    soxSynth(raw, ['3', 'sine', '500'], { format });
    const mp3 = join(tmp.dir, `out-${rate}.mp3`);
    execFileSync('lame', ['-r', '-s', String(rate / 1000), '--signed', '--little-endian', '-b', String(bitrate), '-t', '--quiet', raw, mp3]);
    const data = readFileSync(mp3);
    const splitter = new Mp3FrameSplitter();
    const out: Buffer[] = [];
    for (let off = 0, step = 1; off < data.length; off += step, step = (step * 7 + 3) % 1500 + 1) {
      const chunk = splitter.push(data.subarray(off, off + step));
      if (chunk.length > 0) {
        assert.ok(parseMp3FrameHeader(chunk, 0), 'each chunk begins with a frame header');
        out.push(Buffer.from(chunk));
      }
    }
    assert.ok(Buffer.concat(out).equals(data), 'nothing lost, nothing added');
    const decoded = execFileSync('mpg123', ['-q', '-s', mp3], { maxBuffer: 1 << 26 }).length / 4;
    const perFrame = rate >= 32000 ? 1152 : 576;
    assert.equal(splitter.frames * perFrame, decoded);
    assert.equal(splitter.skipped, 0);
  }
});
