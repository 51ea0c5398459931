// Reading an in-process LiveStream (a chain's or stage's out) in tests without a mount.
import type { LiveStream } from '../../lib/base/live-stream.js';

/** Reads a live stream to its end; fails after `ms` (a hang, not a speed figure) saying how much came. */
export function readStream(stream: LiveStream, ms = 30_000): Promise<Buffer> {
  return readFor(stream, ms, (got, err) => {
    throw new Error(`the output did not end within ${ms} ms (${got} bytes read): ${err.code}`);
  });
}

/** Reads a live stream as a tap does, for `ms` (or to its end), and closes the reader; gives what came. */
export function tapFor(stream: LiveStream, ms: number): Promise<Buffer> {
  return readFor(stream, ms, () => null);
}

/** Reads until the end, or until `ms` passed: then `late` decides (throw, or null to stop with what came). */
async function readFor(stream: LiveStream, ms: number, late: (got: number, err: NodeJS.ErrnoException) => null): Promise<Buffer> {
  const reader = stream.openReader();
  const parts: Buffer[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    for (;;) {
      const b = await reader.read(1 << 20, ac.signal).catch((err: NodeJS.ErrnoException) => late(Buffer.concat(parts).length, err));
      if (b === null) return Buffer.concat(parts);
      parts.push(b);
    }
  } finally {
    clearTimeout(timer);
    reader.close();
  }
}
