import { appendFile } from 'node:fs/promises';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a string names a log level. */
export function isLogLevel(s: string): s is LogLevel {
  return s in RANK;
}

/** Options of a Logger. */
export interface LoggerOptions {
  level?: LogLevel;
  /** Lines kept for new readers of /log. */
  keep?: number;
  /** A file every line is appended to. */
  file?: string;
  /** Where the time comes from (tests pass a fixed clock). */
  now?: () => Date;
  /** Also write each line here (the foreground daemon passes stderr). */
  echo?: (line: string) => void;
}

/** One logger for the daemon and every client's stderr: a ring of recent lines, followers, a file. */
export class Logger {
  level: LogLevel;
  private readonly keep: number;
  private readonly lines: string[] = [];
  private readonly followers = new Set<(line: string) => void>();
  private file: string | undefined;
  private readonly now: () => Date;
  private readonly echo: ((line: string) => void) | undefined;
  private fileQueue: Promise<void> = Promise.resolve();
  /** Lines not yet handed to the file: many lines at once are one append, not one each. */
  private pending = '';

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? 'info';
    this.keep = options.keep ?? 1000;
    this.file = options.file;
    this.now = options.now ?? (() => new Date());
    this.echo = options.echo;
  }

  /** Sends every line from now on to a file too. */
  setFile(file: string | undefined): void {
    this.file = file;
  }

  debug(message: string): void { this.log('debug', message); }
  info(message: string): void { this.log('info', message); }
  warn(message: string): void { this.log('warn', message); }
  error(message: string): void { this.log('error', message); }

  /** Records one line (each line of a multi-line message separately) if its level is enabled. */
  log(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const stamp = this.now().toISOString();
    for (const raw of message.split('\n')) {
      const part = bounded(escapeControls(raw));
      if (part === '') continue;
      const line = `${stamp} ${level} ${part}\n`;
      this.lines.push(line);
      if (this.lines.length > this.keep) this.lines.shift();
      for (const f of this.followers) f(line);
      this.echo?.(line);
      if (this.file) this.toFile(this.file, line);
    }
  }

  private toFile(file: string, line: string): void {
    const first = this.pending === '';
    this.pending += line;
    if (!first) return;
    this.fileQueue = this.fileQueue.then(() => {
      const text = this.pending;
      this.pending = '';
      return appendFile(file, text);
    }).catch(() => undefined);
  }

  /** The recent lines, oldest first. */
  recent(): string[] {
    return [...this.lines];
  }

  /** Calls `f` with every new line until the returned function is called. */
  follow(f: (line: string) => void): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }

  /** Resolves when every line so far is in the file. */
  flush(): Promise<void> {
    return this.fileQueue;
  }
}

/**
 * The most of one line /log keeps (twice a stage's longest stderr line, STDERR_LINE_MAX): whoever may write a
 * command file could otherwise grow the log by what one refused 64 KiB line becomes once quoted and escaped
 * (720 KB for a line of control characters), and push everything before it out of what /log keeps.
 */
export const MAX_LOG_LINE = 8192;

function bounded(line: string): string {
  return line.length <= MAX_LOG_LINE ? line : `${line.slice(0, MAX_LOG_LINE)} ... (${line.length - MAX_LOG_LINE} more characters)`;
}

/** Text from users and clients made safe for a terminal: control characters (escape sequences) as \xNN. */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
