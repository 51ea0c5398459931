// The title of what the stream plays now, for listeners: ICY metadata over HTTP and Icecast's metadata update.

/** The now-playing title: set from a client's announcement, read by the HTTP server, pushed to Icecast on each change. */
export class StreamTitle {
  private value = '';
  private readonly listeners = new Set<(title: string) => void>();

  /** The title now ('' before any). */
  get current(): string {
    return this.value;
  }

  /** Sets the title; listeners hear of a change only. */
  set(title: string): void {
    const t = title.replace(/[\r\n]+/g, ' ').trim();
    if (t === this.value) return;
    this.value = t;
    for (const l of this.listeners) l(t);
  }

  /** Takes a line a client wrote on stderr: a JSON object with a string `title` (audiofs-dj's now-playing lines) sets it. */
  fromLine(line: string): void {
    if (!line.startsWith('{') || !line.includes('"title"')) return;
    try {
      const parsed = JSON.parse(line) as { title?: unknown };
      if (typeof parsed.title === 'string' && parsed.title.trim()) this.set(parsed.title);
    } catch {
      // Not JSON after all: an ordinary log line.
    }
  }

  /** Calls `listener` on each change; returns the function that stops it. */
  onChange(listener: (title: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Bytes of audio between two ICY metadata blocks (what `icy-metaint` announces). */
export const ICY_METAINT = 16000;

/** One ICY metadata block: a length byte (in 16-byte units), then `StreamTitle='...';` padded with NULs; a lone 0 for "no change". */
export function icyBlock(title: string | undefined): Buffer {
  if (title === undefined) return Buffer.from([0]);
  const text = Buffer.from(`StreamTitle='${title.replace(/'/g, '\u2019')}';`, 'utf8').subarray(0, 255 * 16);
  const units = Math.ceil(text.length / 16);
  const block = Buffer.alloc(1 + units * 16);
  block[0] = units;
  text.copy(block, 1);
  return block;
}

/** Interleaves ICY metadata into an audio byte stream every ICY_METAINT bytes, with the title when it has changed. */
export class IcyInterleaver {
  private untilMeta = ICY_METAINT;
  private sent: string | undefined;

  constructor(private readonly title: StreamTitle) {}

  /** The audio bytes with metadata blocks put in at their places. */
  push(audio: Buffer): Buffer {
    const parts: Buffer[] = [];
    let at = 0;
    while (audio.length - at >= this.untilMeta) {
      parts.push(audio.subarray(at, at + this.untilMeta));
      at += this.untilMeta;
      const now = this.title.current;
      parts.push(icyBlock(now !== this.sent ? now : undefined));
      this.sent = now;
      this.untilMeta = ICY_METAINT;
    }
    parts.push(audio.subarray(at));
    this.untilMeta -= audio.length - at;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
