// Reading an in-process LiveStream (a chain's or stage's out) in tests without a mount.
import type { LiveStream } from '../../lib/base/live-stream.js';

/** Reads a live stream to its end; fails after `ms` (a hang, not a speed figure) saying how much came. */
export async function readStream(stream: LiveStream, ms = 30_000): Promise<Buffer> {
  const reader = stream.openReader();
  const parts: Buffer[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    for (;;) {
      const b = await reader.read(1 << 20, ac.signal).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`the output did not end within ${ms} ms (${Buffer.concat(parts).length} bytes read): ${err.code}`);
      });
      if (b === null) return Buffer.concat(parts);
      parts.push(b);
    }
  } finally {
    clearTimeout(timer);
  }
}
