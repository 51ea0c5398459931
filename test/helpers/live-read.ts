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

/** A reader of a live file that holds its chain back (export mode) until told to read at full speed. */
export interface SlowReader {
  /** Everything read, once the file ends. */
  all: Promise<Buffer>;
  /** From now on, read as fast as data comes. */
  fast(): void;
  /** No read before `ms` from now (a pause longer than the usual 300 ms). */
  pauseFor(ms: number): void;
}

/**
 * Reads `path` 64 KiB every 300 ms (in export mode the chain is held back, yet not dropped as stalled, so what
 * a test does meanwhile falls inside the stream however loaded the machine) until fast() is called.
 */
export async function slowReader(path: string): Promise<SlowReader> {
  const fh = await open(path, 'r');
  let slow = true;
  let pausedUntil = 0;
  const all = (async () => {
    const parts: Buffer[] = [];
    try {
      for (;;) {
        const { bytesRead, buffer } = await fh.read(Buffer.alloc(65536), 0, 65536, null);
        if (bytesRead === 0) return Buffer.concat(parts);
        parts.push(buffer.subarray(0, bytesRead));
        if (slow) await new Promise((r) => setTimeout(r, Math.max(300, pausedUntil - Date.now())));
      }
    } finally {
      await fh.close();
    }
  })();
  return { all, fast: () => (slow = false), pauseFor: (ms) => (pausedUntil = Date.now() + ms) };
}
