// An append-only log of JSON records: a change is durable once its record is (one small synchronous write),
// whatever the size of what it changes.
import { constants } from 'node:fs';
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './write-file-atomic.js';

/**
 * On Linux each write is on disk when it returns (O_DSYNC): an append is one call, not a write and a sync.
 * Elsewhere an append ends with fdatasync, which libuv makes F_FULLFSYNC on macOS (O_DSYNC there leaves the
 * record in the drive's cache).
 */
const SYNCED_WRITES = process.platform === 'linux';
const DURABLE_WRITES = constants.O_RDWR | constants.O_CREAT | (SYNCED_WRITES ? constants.O_DSYNC : 0);

/** A journal file: records appended one a line, each on disk when append() resolves. */
export class Journal {
  private handle: FileHandle | undefined;
  private length = 0;
  private foldingNow = false;
  private unsyncedDirectory = false;

  constructor(readonly path: string) {}

  /** Bytes of whole records in the file. */
  get size(): number {
    return this.length;
  }

  /** Where the records of a journal being folded into a snapshot wait until the snapshot is on disk. */
  get foldingPath(): string {
    return `${this.path}.folding`;
  }

  /**
   * Opens (or creates) the file and returns its records in order: those of a fold that had not ended (a
   * crash while a snapshot was written) first. A last line that is not whole or not JSON (a crash during an
   * append, which was never acknowledged) is dropped and cut off the file.
   */
  async open(): Promise<unknown[]> {
    const foldingText = await readOrEmpty(this.foldingPath);
    const folding = parseRecords(foldingText).records;
    this.foldingNow = foldingText.length > 0;
    const text = await readOrEmpty(this.path);
    const { records, good } = parseRecords(text);
    const created = text.length === 0;
    this.handle = await open(this.path, DURABLE_WRITES, 0o600);
    this.length = good;
    if (text.length > good) {
      await this.handle.truncate(good);
      await this.handle.datasync();
    }
    if (created) await syncDirectory(dirname(this.path));
    return [...folding, ...records];
  }

  /** Whether a fold has begun and not ended (its records are still in foldingPath). */
  get folding(): boolean {
    return this.foldingNow;
  }

  /**
   * Begins a fold: the records so far move aside (renamed to foldingPath) and appends go to a new, empty
   * file, so a snapshot of them can be written while changes go on being acknowledged. Costs a rename and a
   * directory sync, whatever the size of the journal.
   */
  async beginFold(): Promise<void> {
    if (this.foldingNow) throw new Error(`journal ${this.path}: a fold is under way (expected endFold() first)`);
    const old = this.opened();
    await rename(this.path, this.foldingPath);
    this.foldingNow = true;
    this.unsyncedDirectory = true;
    // If the new file cannot be made, appends go on in the renamed one (both are read at restore).
    this.handle = await open(this.path, DURABLE_WRITES | constants.O_TRUNC, 0o600);
    this.length = 0;
    await old.close().catch(() => undefined);
    await this.syncDirectory();
  }

  /** Ends a fold once the snapshot that holds its records is on disk: they are removed. */
  async endFold(): Promise<void> {
    await unlink(this.foldingPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    this.unsyncedDirectory = true;
    await this.syncDirectory();
    this.foldingNow = false;
  }

  /** Makes the directory's entries durable (a new or renamed journal file); tried again before the next append if it failed. */
  private async syncDirectory(): Promise<void> {
    await syncDirectory(dirname(this.path));
    this.unsyncedDirectory = false;
  }

  /** Appends one record and resolves once it is on disk; on failure (ENOSPC...) the file is as it was and it throws. */
  async append(record: unknown): Promise<void> {
    await this.appendJson(JSON.stringify(record));
  }

  /** append() of a record given as its JSON text (one line: JSON.stringify's, with no newline in it). */
  async appendJson(json: string): Promise<void> {
    const handle = this.opened();
    const line = Buffer.from(`${json}\n`);
    // A record in a file whose name is not durable yet would not be durable either.
    if (this.unsyncedDirectory) await this.syncDirectory();
    try {
      for (let done = 0; done < line.length;) {
        const { bytesWritten } = await handle.write(line, done, line.length - done, this.length + done);
        done += bytesWritten;
      }
      if (!SYNCED_WRITES) await handle.datasync();
    } catch (err) {
      // A part of the record may be there: cut it, so the next record starts a line of its own.
      await handle.truncate(this.length).catch(() => undefined);
      throw err;
    }
    this.length += line.length;
  }

  /** Empties the journal (its records, and a fold's, are in a snapshot now). */
  async reset(): Promise<void> {
    const handle = this.opened();
    await handle.truncate(0);
    await handle.datasync();
    this.length = 0;
    await this.endFold();
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

async function readOrEmpty(path: string): Promise<Buffer> {
  return readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  });
}

/** The whole JSON lines at the start of `text`, and how many bytes they take. */
function parseRecords(text: Buffer): { records: unknown[]; good: number } {
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
  return { records, good };
}
