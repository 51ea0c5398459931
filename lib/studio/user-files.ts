import { AudiofsError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { InputStore } from '../procchain/input-store.js';

/** The most one user file holds. */
export const USER_FILE_MAX: Bytes = 1024 * 1024 * 1024;

/** The most user files one directory holds. */
export const USER_FILES_PER_DIR = 1000;

/** Whatever owns a directory of the tree: the project (root), a chain or a stage. */
export type DirOwner = object;

/** What UserFiles needs: where a file's bytes are kept. */
export interface UserFilesOptions {
  makeStore: () => InputStore;
  /** Called after any change (saved with the project). */
  changed: () => void;
}

/**
 * The user's own regular files in the tree (notes, an editor's swap file, `sed -i`'s temporary file):
 * any name that is not one of audiofs's, kept with the project, each at most USER_FILE_MAX bytes.
 */
export class UserFiles {
  private readonly dirs = new Map<DirOwner, Map<string, InputStore>>();

  constructor(private readonly options: UserFilesOptions) {}

  /** The names in a directory, in creation order. */
  names(owner: DirOwner): string[] {
    return [...(this.dirs.get(owner)?.keys() ?? [])];
  }

  /** The store behind a name. */
  get(owner: DirOwner, name: string): InputStore | undefined {
    return this.dirs.get(owner)?.get(name);
  }

  /** Makes an empty file (or returns the one there). */
  create(owner: DirOwner, name: string, where: string): InputStore {
    const existing = this.get(owner, name);
    if (existing) return existing;
    return this.put(owner, name, this.options.makeStore(), where);
  }

  /** Puts a store under a name (rename, restore); a file there before is dropped. */
  put(owner: DirOwner, name: string, store: InputStore, where: string): InputStore {
    let dir = this.dirs.get(owner);
    if (!dir) this.dirs.set(owner, (dir = new Map()));
    if (!dir.has(name) && dir.size >= USER_FILES_PER_DIR) {
      throw new AudiofsError('ENOSPC', 'create', where, `this directory holds ${USER_FILES_PER_DIR} files of your own already (expected fewer; remove some first)`);
    }
    const old = dir.get(name);
    dir.set(name, store);
    if (old && old !== store) void dispose(old);
    this.options.changed();
    return store;
  }

  /** Takes a file out without discarding its bytes (the source of a rename). */
  take(owner: DirOwner, name: string): InputStore | undefined {
    const dir = this.dirs.get(owner);
    const store = dir?.get(name);
    if (!store) return undefined;
    dir!.delete(name);
    this.options.changed();
    return store;
  }

  /** Removes a file and frees what it held. */
  remove(owner: DirOwner, name: string): boolean {
    const store = this.take(owner, name);
    if (store) void dispose(store);
    return store !== undefined;
  }

  /** Forgets every file of a directory that went (rm -r of a chain or a stage). */
  removeAll(owner: DirOwner): void {
    const dir = this.dirs.get(owner);
    if (!dir) return;
    this.dirs.delete(owner);
    for (const store of dir.values()) void dispose(store);
    this.options.changed();
  }

  /** Every directory with its files (for saving). */
  entries(owner: DirOwner): Array<[string, InputStore]> {
    return [...(this.dirs.get(owner)?.entries() ?? [])];
  }
}

/** Frees a store's spill file, if it has one. */
export async function dispose(store: InputStore): Promise<void> {
  await (store as { dispose?: () => Promise<void> }).dispose?.().catch(() => undefined);
}
