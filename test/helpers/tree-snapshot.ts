// Walks a mount the way tar does (readdir order) and records each entry's mode and stored content.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { entriesInOrder } from './mount.js';

/** Files whose content is live or names the mount (never compared), by name. */
export const LIVE_FILES = new Set(['out', 'log', 'stream.mp3', 'err', 'status', 'channels', 'config']);

/** One entry: permission bits and, for stored files, the content as base64. */
export interface Entry {
  mode: number;
  content?: string;
}

/** Every path under a directory (directories end in `/`) with its mode and stored content. */
export async function treeSnapshot(dir: string, rel = ''): Promise<Map<string, Entry>> {
  const result = new Map<string, Entry>();
  for (const name of await entriesInOrder(join(dir, rel))) {
    const p = join(rel, name);
    const s = await stat(join(dir, p));
    if (s.isDirectory()) {
      result.set(`${p}/`, { mode: s.mode & 0o7777 });
      for (const [k, v] of await treeSnapshot(dir, p)) result.set(k, v);
    } else {
      result.set(p, { mode: s.mode & 0o7777, content: LIVE_FILES.has(name) ? undefined : (await readFile(join(dir, p))).toString('base64') });
    }
  }
  return result;
}

/** The two snapshots as sorted [path, entry] lists, for one deepEqual that names every difference. */
export function comparable(a: Map<string, Entry>): Array<[string, Entry]> {
  return [...a.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}
