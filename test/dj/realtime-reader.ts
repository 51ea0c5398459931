// A player for tests: reads a child's PCM through a buffer of fixed size and plays it at a fixed pace, counting underruns.
import type { Readable } from 'node:stream';

/** What the player saw. */
export interface PlayReport {
  /** Seconds of audio played. */
  played: number;
  /** How many times the buffer ran dry while the stream was still open. */
  underruns: number;
  /** Seconds spent waiting on a dry buffer, all together. */
  starved: number;
  /** The longest single wait, seconds. */
  longest: number;
  /** The bytes played, in order. */
  audio: Buffer;
}

/**
 * Plays `stream` (s16le at `bytesPerSecond`) like a sound card: it starts after `prebuffer` seconds have arrived, then
 * takes `speed` seconds of audio per second of wall time in 10 ms ticks, and never holds more than `buffer` seconds
 * (the stream is paused above it, so the producer is only that far ahead, plus its pipe). Stops at the end of the
 * stream or after `limit()` seconds of audio (asked again at every tick).
 */
export function playInRealTime(stream: Readable, options: { bytesPerSecond: number; prebuffer: number; buffer: number; speed: number; limit: () => number }): Promise<PlayReport> {
  const { bytesPerSecond, speed } = options;
  const frame = 4;
  const chunks: Buffer[] = [];
  let queued = 0;
  let ended = false;
  const played: Buffer[] = [];
  let playedBytes = 0;
  const report = { underruns: 0, starved: 0, longest: 0 };
  let dryFor = 0;
  stream.on('data', (b: Buffer) => {
    chunks.push(b);
    queued += b.length;
    if (queued > options.buffer * bytesPerSecond) stream.pause();
  });
  stream.on('end', () => (ended = true));
  stream.on('close', () => (ended = true));
  const take = (bytes: number): number => {
    let want = bytes - (bytes % frame);
    let got = 0;
    while (want > 0 && chunks.length) {
      const c = chunks[0];
      const n = Math.min(want, c.length);
      played.push(c.subarray(0, n));
      if (n === c.length) chunks.shift();
      else chunks[0] = c.subarray(n);
      want -= n;
      got += n;
    }
    queued -= got;
    if (queued < options.buffer * bytesPerSecond) stream.resume();
    return got;
  };
  return new Promise((resolve) => {
    let started = false;
    let last = 0;
    let debt = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      if (!started) {
        if (queued < options.prebuffer * bytesPerSecond && !ended) return;
        started = true;
        last = now;
        return;
      }
      debt += ((now - last) / 1000) * speed * bytesPerSecond;
      last = now;
      const got = take(Math.floor(debt));
      debt -= got;
      playedBytes += got;
      const done = playedBytes >= options.limit() * bytesPerSecond;
      if (debt >= frame && !ended && !done) {
        if (dryFor === 0) report.underruns++;
        const dry = debt / bytesPerSecond / speed;
        dryFor += dry;
        report.starved += dry;
        debt = 0;
      } else if (got > 0) {
        report.longest = Math.max(report.longest, dryFor);
        dryFor = 0;
      }
      if ((ended && queued === 0) || done) {
        clearInterval(tick);
        report.longest = Math.max(report.longest, dryFor);
        resolve({ played: playedBytes / bytesPerSecond, ...report, audio: Buffer.concat(played) });
      }
    }, 10);
  });
}
