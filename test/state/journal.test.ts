// The journal: records durable one a line; a torn last line (a crash mid-append) is dropped and cut off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal } from '../../lib/state/index.js';
import { withTempDir } from '../helpers/temp-dir.js';

/** The records a fresh open finds (closed again). */
async function recordsIn(file: string): Promise<unknown[]> {
  const j = new Journal(file);
  try {
    return await j.open();
  } finally {
    await j.close();
  }
}

/** A journal at `file`, opened, with `records` appended. */
async function journalWith(file: string, ...records: unknown[]): Promise<Journal> {
  const j = new Journal(file);
  await j.open();
  for (const r of records) await j.append(r);
  return j;
}

function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  return withTempDir('audiofs-journal', body);
}

test('records come back in order after a reopen; reset empties the file', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'j');
    const j = new Journal(file);
    assert.deepEqual(await j.open(), []);
    const records = [{ seq: 1, a: 'x' }, { seq: 2, b: [1, 2] }, { seq: 3, c: 'línea\nnueva' }];
    for (const r of records) await j.append(r);
    await j.close();
    assert.equal((await readFile(file, 'utf8')).split('\n').length, 4, 'one line a record (a newline in a value is escaped)');
    const again = new Journal(file);
    assert.deepEqual(await again.open(), records);
    assert.equal(again.size, (await stat(file)).size);
    await again.reset();
    await again.close();
    assert.equal((await stat(file)).size, 0);
    assert.deepEqual(await recordsIn(file), []);
  });
});

test('a torn last record is dropped and cut off, so the next record starts a line of its own', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'j');
    const j = await journalWith(file, { seq: 1 }, { seq: 2 });
    await j.close();
    const whole = (await stat(file)).size;
    for (const torn of ['{"seq":3,"se', '{"seq":3}', 'not json at all\n{"seq":4}\n']) {
      await appendFile(file, torn);
      const k = new Journal(file);
      assert.deepEqual(await k.open(), [{ seq: 1 }, { seq: 2 }], `after '${torn}'`);
      assert.equal((await stat(file)).size, whole, 'the torn tail is cut off');
      await k.close();
    }
    const k = new Journal(file);
    await k.open();
    await k.append({ seq: 3 });
    await k.close();
    assert.deepEqual(await recordsIn(file), [{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
  });
});

test('a fold moves the records aside and appends go on in a new file; a reopen mid-fold gives both in order; endFold removes them', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'j');
    const j = await journalWith(file, { seq: 1 }, { seq: 2 });
    await j.beginFold();
    assert.equal(j.folding, true);
    assert.equal(j.size, 0, 'the journal file is empty again');
    await assert.rejects(j.beginFold(), /a fold is under way/);
    await j.append({ seq: 3 });
    assert.deepEqual(await recordsIn(file), [{ seq: 1 }, { seq: 2 }, { seq: 3 }], 'as after a crash before the snapshot was written');
    const mid = new Journal(file);
    await mid.open();
    assert.equal(mid.folding, true, 'a reopen sees the fold that did not end');
    await mid.close();
    await j.endFold();
    assert.equal(j.folding, false);
    await assert.rejects(stat(j.foldingPath), { code: 'ENOENT' });
    assert.deepEqual(await recordsIn(file), [{ seq: 3 }]);
    await j.append({ seq: 4 });
    await j.close();
    assert.deepEqual(await recordsIn(file), [{ seq: 3 }, { seq: 4 }]);
  });
});
