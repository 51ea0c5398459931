// The mount's heap under a byte flood: bytes through the mount are external buffers, and V8's defaults
// for a small heap did a full GC every 25 ms of an export (bin/audiofs sets the flag that stops it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mountAudiofs, run } from '../helpers/mount.js';

const MiB = 1024 * 1024;

/** The `memory:` figure of /status named `key`. */
async function memoryFigure(statusPath: string, key: string): Promise<number> {
  const text = await readFile(statusPath, 'utf8');
  const m = new RegExp(`^memory:[\\s\\S]*?^  ${key}: (\\d+)$`, 'm').exec(text);
  assert.ok(m, `/status has memory.${key}:\n${text.slice(0, 2000)}`);
  return Number(m[1]);
}

test('an export of 128 MiB through 3 cat stages, read from NAME/out: every byte, and at most 5 full GCs of the mount (63 for 256 MiB before)', async () => {
  const m = await mountAudiofs();
  try {
    const input = join(m.tmp, 'in.raw');
    await run('sh', ['-c', `head -c ${128 * MiB} /dev/urandom > ${input}`]);
    const { stdout: want } = await run('sha256sum', [input]);
    await m.ctl('realtime off');
    await m.ctl('c cat | cat | cat');
    await run('dd', [`if=${input}`, `of=${m.path('c', 'in')}`, 'bs=1M', 'status=none'], { timeout: 60_000 });
    const before = await memoryFigure(m.path('status'), 'full_gcs');
    // Opened here, before play (nothing is missed); sha256sum reads it, killed after 60 s (a hang fails).
    const out = await open(m.path('c', 'out'), 'r');
    let got: string;
    try {
      const sum = spawn('sha256sum', { stdio: [out.fd, 'pipe', 'inherit'], timeout: 60_000 });
      let text = '';
      sum.stdout!.on('data', (b: Buffer) => (text += b.toString()));
      const ended = new Promise<number | null>((r) => sum.once('exit', (code) => r(code)));
      await m.ctl('play', 'c/ctl');
      assert.equal(await ended, 0, 'sha256sum read NAME/out to its end within 60 s');
      got = text;
    } finally {
      await out.close();
    }
    assert.equal(got.split(' ')[0], want.split(' ')[0], 'NAME/out is the input, byte for byte');
    const during = (await memoryFigure(m.path('status'), 'full_gcs')) - before;
    assert.ok(during <= 5, `${during} full GCs of the mount during the export`);
  } finally {
    assert.equal(await m.close(), 0);
  }
});
