import { open } from 'node:fs/promises';

/** The last `lines` lines of a file (reading at most its last 64 KiB); empty when it cannot be read. */
export async function logTail(file: string, lines = 20): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const all = buffer.toString('utf8').split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}
