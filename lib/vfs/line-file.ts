import { StringDecoder } from 'node:string_decoder';
import { AudiofsError, CtlError } from '../base/errors.js';
import type { Bytes } from '../base/units.js';
import type { InputStore } from '../procchain/input-store.js';
import { textLines } from '../base/text-lines.js';
import type { CommandContext } from '../studio/caller.js';
import { OpenSnapshots } from './snapshot-file.js';
import type { FileHandle, FileNode, OpenMode } from './vnode.js';

/** The longest line a command file takes. */
export const MAX_LINE: Bytes = 64 * 1024;

/** The longest text a settings file takes whole (/config, or a file renamed onto a command file). */
export const MAX_TEXT: Bytes = 1024 * 1024;

/** What a command file means. */
export interface LineFileOptions {
  /** What reading gives (the current state as lines). */
  read: () => string | Buffer;
  /**
   * Applies one line; throwing fails the write that carried it. `rewrite` is true when the file was opened
   * to be written anew (O_TRUNC, or created again after an unlink, as tar and editors do).
   */
  apply: (line: string, how: CommandContext) => Promise<void> | void;
  /**
   * Checks a line as `apply` would before applying anything (its grammar, who may say it): every whole line of a
   * write is checked before the first is applied, so a write with a bad line applies none of them.
   */
  check?: (line: string, how: CommandContext) => Promise<void> | void;
  /**
   * Settings files (mixer, sched): made when the file is opened for writing, before an O_TRUNC clears it.
   * Each write then applies every line written since the open at once, from the state the open left (none
   * when `how.rewrite`, which an ftruncate to 0 after the open sets: read it at each write); a refused line
   * restores the state from before the open, so a write is all or nothing and its error names the line
   * counted from the open. Takes the place of `apply` for writers.
   */
  writer?: (how: Readonly<CommandContext & { rewrite: boolean }>) => (text: string) => Promise<void>;
  /** A renamed file's whole text as one validated write (default: its lines, each as rewritten). */
  replace?: (text: string) => Promise<void> | void;
  /** The whole text at once instead of line by line (the YAML /config): applied at close. */
  whole?: boolean;
  /** truncate(2) to 0 or unlink(2): clear what the file stores (sched lines), or nothing (ctl). */
  clear?: () => Promise<void> | void;
  mode?: number;
  /** The configured group may write it (ctl and mixer files). */
  steerable?: boolean;
  /** unlink(2) is refused with EPERM for this reason (/config: an archive's tar x must never replace it). */
  undeletable?: string;
  /** Report size 0 (the text changes by itself). */
  volatile?: boolean;
  /** The size of what read() gives, without making the text (/ctl: a stat after each change of a large project). */
  size?: () => Bytes;
  /** Its text changes without a change of the project (/config, when its file is edited): see FileNode.live. */
  live?: boolean;
  /** Its text changes with nearly every change of the project (/ctl): see FileNode.versioned. */
  versioned?: boolean;
}

/** A file of commands or settings: writes apply line by line, reads give the state back as lines. */
export class LineFile implements FileNode {
  readonly kind = 'file';
  mode: number;
  mtime = new Date();
  private readonly readers = new OpenSnapshots();

  constructor(private readonly options: LineFileOptions) {
    this.mode = options.mode ?? 0o644;
  }

  get steerable(): boolean {
    return this.options.steerable ?? false;
  }

  get live(): boolean {
    return this.options.live ?? false;
  }

  get versioned(): boolean {
    return this.options.versioned ?? false;
  }

  size(): Bytes {
    if (this.options.volatile) return 0;
    // A reader's fstat reaches here by path: the text it opened, while it reads it.
    const opened = this.readers.size();
    if (opened !== undefined) return opened;
    if (this.options.size) return this.options.size();
    const text = this.options.read();
    return typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  }

  async open(mode: OpenMode): Promise<FileHandle> {
    // One object for the open: an ftruncate to 0 right after it (how the kernel does O_TRUNC) makes it a rewrite.
    const how = { rewrite: mode.truncate && mode.write, role: mode.role, caller: mode.caller };
    const writer = mode.write ? this.options.writer?.(how) : undefined;
    if (how.rewrite) await this.truncate(0);
    // A writer that cannot read (echo >> ctl) needs no copy of the text.
    const text = mode.read ? this.options.read() : '';
    const snapshot = typeof text === 'string' ? Buffer.from(text) : text;
    const release = mode.read ? this.readers.opened(snapshot) : () => undefined;
    return new LineHandle(this, this.options, snapshot, release, how, writer);
  }

  async replace(from: InputStore): Promise<boolean> {
    if (from.size > MAX_TEXT) throw new AudiofsError('EFBIG', 'rename', '', `${from.size} bytes (expected a text of at most 1 MiB)`);
    const raw = Buffer.from(await from.read(0, from.size));
    const text = raw.toString('utf8');
    if (text.includes('\uFFFD')) throw new AudiofsError('EINVAL', 'rename', '', 'the text is not valid UTF-8');
    if (this.options.replace) {
      await this.options.replace(text);
    } else if (this.options.whole) {
      await this.options.apply(text, { rewrite: true });
    } else {
      for (const line of textLines(text)) await this.options.apply(line, { rewrite: true });
    }
    this.touch();
    return false;
  }

  async truncate(size: Bytes): Promise<void> {
    if (size === this.size() && size !== 0) return;
    if (size !== 0) throw new AudiofsError('EINVAL', 'truncate', '', `to ${size} bytes (expected 0: a command file takes whole lines)`);
    await this.options.clear?.();
    this.touch();
  }

  async unlink(): Promise<void> {
    if (this.options.undeletable) throw new AudiofsError('EPERM', 'unlink', '', this.options.undeletable);
    await this.options.clear?.();
    this.touch();
  }

  /** @internal */
  touch(): void {
    this.mtime = new Date();
  }
}

class LineHandle implements FileHandle {
  private pending = '';
  private skipping = false;
  /** A character split between two writes is decoded whole. */
  private readonly decoder = new StringDecoder('utf8');
  private raw = Buffer.alloc(0);
  /** With a writer: every line written since the open. */
  private written: string[] = [];

  /** Truncated to 0 by the writer after the open, with nothing written yet: cleared at close if nothing is. */
  private clearAtClose = false;

  constructor(private readonly file: LineFile, private readonly options: LineFileOptions, private readonly snapshot: Buffer,
    private readonly released: () => void, private readonly how: CommandContext & { rewrite: boolean },
    private readonly writer?: (text: string) => Promise<void>) {}

  /**
   * ftruncate(2). To 0 before anything was written (how the kernel carries O_TRUNC: after the open), the file
   * is written anew: ctl lines replace chains that differ, a settings file's lines replace its old ones
   * (cleared at close if none come; a refused write still restores what the open found).
   */
  async truncate(size: Bytes): Promise<void> {
    const untouched = this.written.length === 0 && this.pending === '' && this.raw.length === 0;
    if (size !== 0 || !untouched) {
      await this.file.truncate(size);
      return;
    }
    this.how.rewrite = true;
    if (this.writer) this.clearAtClose = true;
    else await this.file.truncate(0);
  }

  size(): Bytes {
    return this.file.size();
  }

  async read(position: Bytes, length: Bytes): Promise<Buffer> {
    return this.snapshot.subarray(position, position + length);
  }

  async write(_position: Bytes, data: Buffer): Promise<Bytes> {
    if (this.options.whole) {
      this.raw = Buffer.concat([this.raw, data]);
      if (this.raw.length > MAX_TEXT) throw new AudiofsError('EFBIG', 'write', '', 'more than 1 MiB (expected a short text)');
      return data.length;
    }
    let text = this.decoder.write(data);
    if (this.skipping) {
      // The rest of a line already refused as too long: dropped up to its end.
      const nl = text.indexOf('\n');
      if (nl < 0) return data.length;
      this.skipping = false;
      text = text.slice(nl + 1);
    }
    this.pending += text;
    const lines: string[] = [];
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (Buffer.byteLength(line) > MAX_LINE) {
        this.pending = '';
        throw tooLong(line);
      }
      lines.push(line);
    }
    try {
      if (this.writer) await this.applyWritten(lines);
      else {
        // Every line of this write checked first: a bad one fails the write with nothing of it applied.
        if (this.options.check) for (const line of lines) { const text = commandText(line); if (text !== undefined) await this.options.check(text, this.how); }
        for (const line of lines) await this.applyLine(line);
      }
    } catch (err) {
      // The rest of a refused write is dropped with it (it was applied at close, the close then succeeding).
      this.pending = '';
      throw err;
    }
    if (Buffer.byteLength(this.pending) > MAX_LINE) {
      const line = this.pending;
      this.pending = '';
      this.skipping = true;
      throw tooLong(line);
    }
    return data.length;
  }

  async flush(): Promise<void> {
    if (this.clearAtClose && this.written.length === 0 && this.pending === '') {
      this.clearAtClose = false;
      await this.file.truncate(0);
    }
    if (this.options.whole) {
      if (this.raw.length === 0) return;
      const text = this.raw.toString('utf8');
      this.raw = Buffer.alloc(0);
      await this.options.apply(text, { ...this.how, rewrite: true });
      this.file.touch();
      return;
    }
    if (this.pending === '') return;
    const line = this.pending;
    this.pending = '';
    if (this.writer) await this.applyWritten([line]);
    else await this.applyLine(line);
  }

  /** With a writer: applies every line since the open, the new ones included; a refusal forgets the new ones. */
  private async applyWritten(lines: string[]): Promise<void> {
    if (!this.writer || !lines.some((l) => l.trim() !== '')) return;
    const all = [...this.written, ...lines.map((l) => l.replace(/\r$/, ''))];
    await this.writer(all.join('\n'));
    this.written = all;
    this.file.touch();
  }

  async release(): Promise<void> {
    this.released();
    this.pending = '';
    this.skipping = false;
    this.raw = Buffer.alloc(0);
  }

  private async applyLine(line: string): Promise<void> {
    const text = commandText(line);
    if (text === undefined) return;
    await this.options.apply(text, this.how);
    this.file.touch();
  }
}

/** A written line as a command: without a CR before its newline; undefined when blank. */
function commandText(line: string): string | undefined {
  const text = line.replace(/\r$/, '');
  return text.trim() === '' ? undefined : text;
}

/** The refusal of a line over MAX_LINE: it quotes the start of the line only. */
function tooLong(line: string): CtlError {
  const excerpt = `${line.slice(0, 64)}...`;
  return new CtlError('EINVAL', '', excerpt, `line longer than ${MAX_LINE} bytes (expected a line of at most 64 KiB)`);
}
