import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { InputStore } from '../procchain/input-store.js';
import type { FileHandle, FileNode, OpenMode } from './vnode.js';

/** What a stored file does besides storing. */
export interface StoreFileOptions {
  store: () => InputStore;
  /** The most it holds (comments: 1024 bytes). */
  maxSize?: Bytes;
  /** Data was written (a running chain's feeder looks again). */
  onWrite?: () => void;
  /** A writer opened or closed `store` (the store counts them: a feeder waits for more while one is open). */
  onWriters?: (store: InputStore) => void;
  /** A handle that wrote is being closed: resolves once what it wrote is stored (close(2) returns after). */
  onFlush?: (store: InputStore) => Promise<void>;
  /** Takes a renamed file's store as this file's own (instead of copying it). */
  adopt?: (store: InputStore) => void;
  mode?: number;
}

/** A file that stores what is written and reads it back (`in`, `comments`). */
export class StoreFile implements FileNode {
  readonly kind = 'file';
  mode: number;
  mtime = new Date();

  constructor(private readonly options: StoreFileOptions) {
    this.mode = options.mode ?? 0o644;
  }

  size(): Bytes {
    return this.options.store().size;
  }

  stored(): Bytes {
    const store = this.options.store();
    return store.storedBytes?.() ?? store.size;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    if (mode.write && mode.truncate) await this.truncate(0);
    const handle = new StoreHandle(this, this.options, mode);
    if (mode.write) this.countWriter(handle.writing, +1);
    return handle;
  }

  async truncate(size: Bytes): Promise<void> {
    this.checkSize(size, 'truncate');
    await this.options.store().truncate(size);
    this.mtime = new Date();
    this.options.onWrite?.();
  }

  async unlink(): Promise<void> {
    await this.truncate(0);
  }

  async replace(from: InputStore): Promise<boolean> {
    this.checkSize(from.size, 'rename');
    const adopt = this.options.adopt;
    if (adopt) {
      adopt(from);
    } else {
      const data = Buffer.from(await from.read(0, from.size));
      const store = this.options.store();
      await store.truncate(0);
      await store.write(0, data);
    }
    this.mtime = new Date();
    this.options.onWrite?.();
    return adopt !== undefined;
  }

  /** @internal */
  checkSize(end: Bytes, op = 'write'): void {
    const max = this.options.maxSize;
    if (max !== undefined && end > max) {
      throw new AudiofsError('EFBIG', op, '', `would hold ${end} bytes (expected at most ${max})`);
    }
  }

  /** @internal */
  countWriter(store: InputStore, delta: 1 | -1): void {
    store.countWriter?.(delta);
    this.options.onWriters?.(store);
  }
}

class StoreHandle implements FileHandle {
  private released = false;
  private wrote = false;
  /** The store this handle was opened on (the one its writer is counted on, whatever replaces it). */
  readonly writing: InputStore;

  constructor(private readonly file: StoreFile, private readonly options: StoreFileOptions, private readonly mode: OpenMode) {
    this.writing = options.store();
  }

  async read(position: Bytes, length: Bytes): Promise<Buffer> {
    return Buffer.from(await this.options.store().read(position, length));
  }

  async write(position: Bytes, data: Buffer, signal?: AbortSignal): Promise<Bytes> {
    const store = this.options.store();
    const at = this.mode.append ? store.size : position;
    this.file.checkSize(at + data.length);
    this.wrote = true;
    await store.write(at, data, signal);
    this.file.mtime = new Date();
    this.options.onWrite?.();
    return data.length;
  }

  async truncate(size: Bytes): Promise<void> {
    await this.file.truncate(size);
  }

  size(): Bytes {
    return this.options.store().size;
  }

  async flush(): Promise<void> {
    if (!this.wrote) return;
    this.wrote = false;
    await this.options.onFlush?.(this.options.store());
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.mode.write) this.file.countWriter(this.writing, -1);
  }
}
