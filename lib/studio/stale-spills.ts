import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Removes the spill files a killed mount left in the spill directory (the saved inputs live in a subdirectory). */
export async function removeStaleSpills(spillDir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(spillDir).catch(() => [] as string[])) {
    if (!name.endsWith('.spill')) continue;
    await rm(join(spillDir, name), { force: true });
    removed++;
  }
  return removed;
}
