import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bytes } from '../base/units.js';
import type { InputStore } from '../procchain/input-store.js';
import { StoredInput } from '../sequencer/stored-input.js';
import { copySparse } from '../procchain/copy-sparse.js';
import { syncDirectory, syncFile } from '../state/write-file-atomic.js';

const CHUNK: Bytes = 1024 * 1024;

/** A StoredInput that counts its changes, so a saver copies only what changed since it last looked. */
export class VersionedInput extends StoredInput {
  version = 0;

  override write(offset: Bytes, buf: Uint8Array): Promise<Bytes> {
    this.bump();
    return super.write(offset, buf);
  }

  override truncate(size: Bytes): Promise<void> {
    this.bump();
    return super.truncate(size);
  }

  override clear(): Promise<void> {
    this.bump();
    return super.clear();
  }

  private bump(): void {
    this.version++;
  }
}

/**
 * Stored inputs kept across restarts: each non-empty store is copied to `DIR/ID.in` (write to a temporary,
 * rename over) when its version changed and no writer holds it open; files no snapshot names are removed.
 */
export class SavedInputs {
  private readonly saved = new WeakMap<InputStore, { id: number; version: number }>();
  private nextId = 1;
  /** What the last prune kept, until a file is written again: a save that names the same files lists nothing. */
  private pruned: ReadonlySet<number> | undefined;

  constructor(readonly dir: string) {}

  /** Creates the directory. */
  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /**
   * What save() would answer without copying anything: undefined when `store` changed since it was saved (and
   * no writer holds it: `busy`), so its content must be copied first.
   */
  savedNow(store: InputStore, busy: boolean): { id: number | null; current: boolean } | undefined {
    const known = this.saved.get(store);
    if (store.size === 0) return { id: null, current: true };
    if (known && known.version === versionOf(store)) return { id: known.id, current: true };
    if (busy) return { id: known?.id ?? null, current: false };
    return undefined;
  }

  /** The id of the file `store` was last saved to (null: never saved), whatever changed since. */
  lastId(store: InputStore): number | null {
    return this.saved.get(store)?.id ?? null;
  }

  /** Saves `store` if it changed; returns the id its file has (null when empty) and whether it is up to date. */
  async save(store: InputStore, busy: boolean): Promise<{ id: number | null; current: boolean }> {
    const now = this.savedNow(store, busy);
    if (now) return now;
    const known = this.saved.get(store);
    const version = versionOf(store);
    const id = known?.id ?? this.nextId++;
    const file = this.fileOf(id);
    const temp = `${file}.tmp`;
    this.pruned = undefined;
    try {
      await copyInto(store, temp);
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    // The file must be durable before a snapshot names it.
    await syncDirectory(this.dir);
    this.saved.set(store, { id, version });
    return { id, current: versionOf(store) === version };
  }

  /** Fills `store` from the file of `id` (at mount, before anything reads it). */
  async load(id: number, store: InputStore): Promise<void> {
    const handle = await open(this.fileOf(id), 'r');
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      for (let at = 0; ; ) {
        const { bytesRead } = await handle.read(buf, 0, CHUNK, at);
        if (bytesRead === 0) break;
        await store.write(at, Buffer.from(buf.subarray(0, bytesRead)));
        at += bytesRead;
      }
    } finally {
      await handle.close();
    }
    this.saved.set(store, { id, version: versionOf(store) });
    this.nextId = Math.max(this.nextId, id + 1);
  }

  /** Removes every saved file whose id is not in `keep`. */
  async prune(keep: ReadonlySet<number>): Promise<void> {
    const last = this.pruned;
    if (last && last.size === keep.size && [...keep].every((id) => last.has(id))) return;
    let removed = false;
    let listed = true;
    const names = await readdir(this.dir).catch(() => {
      listed = false;
      return [] as string[];
    });
    for (const name of names) {
      const m = /^(\d+)\.in(\.tmp)?$/.exec(name);
      if (!m || (keep.has(Number(m[1])) && !m[2])) continue;
      await rm(join(this.dir, name), { force: true });
      removed = true;
    }
    if (removed) await syncDirectory(this.dir);
    // A listing that failed (EMFILE, EIO) is tried again by the next save.
    if (listed) this.pruned = new Set(keep);
  }

  private fileOf(id: number): string {
    return join(this.dir, `${id}.in`);
  }
}

/** Writes what `store` holds to a new file and syncs it (a stored input is copied by the kernel). */
async function copyInto(store: InputStore, path: string): Promise<void> {
  // A spilled input keeps its holes (an input extended by truncate is not written out as zeros).
  if (store instanceof StoredInput) await store.copyTo(path, { copyFile: copySparse });
  else await writeChunks(store, path);
  await syncFile(path);
}

async function writeChunks(store: InputStore, path: string): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    for (let at = 0; at < store.size; at += CHUNK) {
      const chunk = await store.read(at, CHUNK);
      if (chunk.length === 0) break;
      await handle.write(chunk, 0, chunk.length, at);
    }
  } finally {
    await handle.close();
  }
}

/** A saved input's change counter (-1 for a store that keeps none). */
export function versionOf(store: InputStore): number {
  return store instanceof VersionedInput ? store.version : -1;
}
