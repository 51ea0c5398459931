import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Options of writeFileAtomic. */
export interface WriteFileAtomicOptions {
  /** The new file's mode; default 0o600. */
  readonly mode?: number;
}

/** The suffix of writeFileAtomic's temporary files, so leftovers from a crash can be recognised and removed. */
export const ATOMIC_TEMP_SUFFIX = '.audiofs-tmp';

/** Whether a file name is one of writeFileAtomic's temporaries. */
export function isAtomicTemp(name: string): boolean {
  return name.startsWith('.') && name.endsWith(ATOMIC_TEMP_SUFFIX);
}

/**
 * Replaces `path` so that a reader, or the file left after a crash, sees either the old or the new
 * content, never a mix: write a temporary in the same directory, fsync it, rename it over, fsync the directory.
 * A text in pieces (their concatenation) is encoded and written PIECES_BATCH characters at a time, the event
 * loop free between two writes: a large file costs its caller's thread no more than a batch at a time.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly string[], options: WriteFileAtomicOptions = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}${ATOMIC_TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx', options.mode ?? 0o600);
  try {
    try {
      if (Array.isArray(data)) await writePieces(handle, data as readonly string[]);
      else await handle.writeFile(data as string | Uint8Array);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

/** How many characters of a text in pieces writeFileAtomic encodes and writes at a time (~0.05 ms of encoding). */
export const PIECES_BATCH = 64 * 1024;

async function writePieces(handle: FileHandle, pieces: readonly string[]): Promise<void> {
  let batch: string[] = [];
  let chars = 0;
  const write = async () => {
    const bytes = Buffer.from(batch.join(''), 'utf8');
    for (let at = 0; at < bytes.length; ) at += (await handle.write(bytes, at)).bytesWritten;
    batch = [];
    chars = 0;
  };
  for (const piece of pieces) {
    batch.push(piece);
    chars += piece.length;
    if (chars >= PIECES_BATCH) await write();
  }
  if (batch.length > 0) await write();
}

/** Makes what was written to a file durable (fsync by path). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a directory's entries (a rename, a new file) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    await syncFile(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw err;
  }
}
