// An append-only log of JSON records: a change is durable once its record is (one small write and fdatasync),
// whatever the size of what it changes.
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './write-file-atomic.js';

/** A journal file: records appended one a line, each on disk when append() resolves. */
export class Journal {
  private handle: FileHandle | undefined;
  private length = 0;

  constructor(readonly path: string) {}

  /** Bytes of whole records in the file. */
  get size(): number {
    return this.length;
  }

  /**
   * Opens (or creates) the file and returns its records in order. A last line that is not whole or not JSON
   * (a crash during an append, which was never acknowledged) is dropped and cut off the file.
   */
  async open(): Promise<unknown[]> {
    const text = await readFile(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const records: unknown[] = [];
    let good = 0;
    for (let start = 0; start < text.length;) {
      const end = text.indexOf(0x0a, start);
      if (end < 0) break;
      try {
        records.push(JSON.parse(text.subarray(start, end).toString('utf8')));
      } catch {
        break;
      }
      good = end + 1;
      start = end + 1;
    }
    const created = text.length === 0;
    this.handle = await open(this.path, constants.O_RDWR | constants.O_CREAT, 0o600);
    this.length = good;
    if (text.length > good) {
      await this.handle.truncate(good);
      await this.handle.datasync();
    }
    if (created) await syncDirectory(dirname(this.path));
    return records;
  }

  /** Appends one record and resolves once it is on disk; on failure (ENOSPC...) the file is as it was and it throws. */
  async append(record: unknown): Promise<void> {
    const handle = this.opened();
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    try {
      for (let done = 0; done < line.length;) {
        const { bytesWritten } = await handle.write(line, done, line.length - done, this.length + done);
        done += bytesWritten;
      }
      await handle.datasync();
    } catch (err) {
      // A part of the record may be there: cut it, so the next record starts a line of its own.
      await handle.truncate(this.length).catch(() => undefined);
      throw err;
    }
    this.length += line.length;
  }

  /** Empties the journal (its records are in a snapshot now). */
  async reset(): Promise<void> {
    const handle = this.opened();
    await handle.truncate(0);
    await handle.datasync();
    this.length = 0;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private opened(): FileHandle {
    if (!this.handle) throw new Error(`journal ${this.path} is not open (expected open() first)`);
    return this.handle;
  }
}
