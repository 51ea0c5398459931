import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineFile } from '../../lib/vfs/line-file.js';
import type { OpenMode } from '../../lib/vfs/vnode.js';

const READ: OpenMode = { read: true, write: false, nonblocking: false, nofollow: false, append: false, truncate: false };
const APPEND: OpenMode = { read: false, write: true, nonblocking: false, nofollow: false, append: true, truncate: false };

test('a command file read while lines change it: stat gives the size of the text the reader opened; a writer takes no copy', async () => {
  const lines: string[] = ['a cat'];
  const file = new LineFile({ read: () => lines.map((l) => `${l}\n`).join(''), apply: (l) => void lines.push(l) });
  const reader = await file.open(READ);
  const writer = await file.open(APPEND);
  await writer.write(0, Buffer.from('bb tee\n'));
  assert.deepEqual(lines, ['a cat', 'bb tee']);
  assert.equal(file.size(), 6, 'by path, while the reader has it open: the text it opened');
  assert.equal((await reader.read(0, 100)).toString(), 'a cat\n');
  await reader.release();
  assert.equal(file.size(), 13, 'no reader: the text now');
  assert.equal((await writer.read(0, 100)).length, 0, 'a writer that cannot read holds no copy');
  await writer.release();
});
