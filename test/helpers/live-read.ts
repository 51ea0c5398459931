// Reading the live files of a mount in tests: /log without blocking, and a live file from before `play` to its end.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { TestMount } from './mount.js';

/** What /log holds now (opened O_NONBLOCK: a blocking reader of a live file waits for more, like tail -f). */
export async function readLog(mount: TestMount): Promise<string> {
  const fh = await open(mount.path('log'), constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return (await fh.readFile()).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Reads a live file of the mount from before a ctl line (default `play`) until it ends (opened first: nothing is missed). */
export async function playAndRead(mount: TestMount, file: string, line = 'play'): Promise<Buffer> {
  const fh = await open(mount.path(file), 'r');
  try {
    const reading = fh.readFile();
    await mount.ctl(line);
    return await reading;
  } finally {
    await fh.close();
  }
}
