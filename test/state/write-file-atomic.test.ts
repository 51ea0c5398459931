import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PIECES_BATCH, writeFileAtomic } from '../../lib/state/index.js';

const writer = resolve(import.meta.dirname, '../../../fixtures/daemon/atomic-writer.mjs');

interface Version { n: number; length: number; pad: string }

/** Why a file is not a complete version, or undefined when it is one. */
function tornReason(text: string): string | undefined {
  let v: Version;
  try {
    v = JSON.parse(text) as Version;
  } catch {
    return `not JSON (${text.length} bytes)`;
  }
  if (v.length !== 1000 + ((v.n * 7919) % 300000)) return `version ${v.n} has the wrong length field`;
  if (v.pad !== String(v.n % 10).repeat(v.length)) return `version ${v.n} has a torn padding`;
  return undefined;
}

/** Runs the writer until it has written at least `minVersions`, SIGKILLs it, and returns the last version it reported. */
async function runAndKill(file: string, mode: string, killAfterMs: number): Promise<number> {
  const child = spawn(process.execPath, [writer, file, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    if (lines.length > 0) last = Number(lines[lines.length - 1]);
  });
  const exited = new Promise((done) => child.on('exit', done));
  while (last < 2) await sleep(5);
  await sleep(killAfterMs);
  child.kill('SIGKILL');
  await exited;
  return last;
}

test('SIGKILL in the middle of many writes always leaves the last complete version', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-atomic-'));
  try {
    const file = join(dir, 'project.json');
    for (let round = 0; round < 15; round++) {
      const reported = await runAndKill(file, 'atomic', 7 * round);
      const text = await readFile(file, 'utf8');
      assert.equal(tornReason(text), undefined, `round ${round}`);
      const { n } = JSON.parse(text) as Version;
      assert.ok(n >= reported && n <= reported + 1, `round ${round}: file has version ${n}, writer reported ${reported}`);
    }
    const names = await readdir(dir);
    assert.ok(names.includes('project.json'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the same check catches the torn files a plain writeFile leaves', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-atomic-'));
  try {
    const file = join(dir, 'project.json');
    let torn = 0;
    for (let round = 0; round < 30 && torn === 0; round++) {
      await runAndKill(file, 'naive', 3 * round);
      if (tornReason(await readFile(file, 'utf8')) !== undefined) torn++;
    }
    assert.ok(torn > 0, 'a plain writeFile was never caught torn: the crash test would not notice one either');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic replaces content and mode, and leaves no temporary behind, also on failure', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-atomic-'));
  try {
    const file = join(dir, 'a.json');
    await writeFile(file, 'old');
    await writeFileAtomic(file, 'new', { mode: 0o640 });
    assert.equal(await readFile(file, 'utf8'), 'new');
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    await writeFileAtomic(file, new Uint8Array([104, 105]));
    assert.equal(await readFile(file, 'utf8'), 'hi');
    // A text in pieces, batches of them written in turn: pieces that straddle a batch, multibyte characters.
    const pieces = Array.from({ length: 3000 }, (_, i) => `${i} é♪ ${'x'.repeat(i % 97)}\n`);
    assert.ok(pieces.join('').length > 2 * PIECES_BATCH);
    await writeFileAtomic(file, pieces);
    assert.equal(await readFile(file, 'utf8'), pieces.join(''));
    await writeFileAtomic(file, []);
    assert.equal(await readFile(file, 'utf8'), '');
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'b.json'), 'x'), { code: 'ENOENT' });
    await assert.rejects(writeFileAtomic(join(dir, 'sub'), 'x').then(() => writeFileAtomic(join(dir, 'sub', 'c'), 'x')), { code: 'ENOTDIR' });
    assert.deepEqual((await readdir(dir)).sort(), ['a.json', 'sub']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
