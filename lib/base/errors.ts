// One error class with an errno name, the operation and the path; the FUSE adapter maps `code` to errno.

/** The errno names audiofs answers with. */
export type ErrnoName =
  | 'ENOENT' | 'EEXIST' | 'EINVAL' | 'EIO' | 'EISDIR' | 'ENOTDIR' | 'ENOTEMPTY'
  | 'EPERM' | 'EACCES' | 'EBUSY' | 'ENAMETOOLONG' | 'EFBIG' | 'ENOSPC' | 'ENODATA'
  | 'ENOTSUP' | 'EAGAIN' | 'EBADF' | 'ENOSYS' | 'EROFS' | 'EXDEV' | 'EPIPE' | 'EINTR';

const DESCRIPTIONS: Record<ErrnoName, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  EINVAL: 'invalid argument',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EPERM: 'operation not permitted',
  EACCES: 'permission denied',
  EBUSY: 'resource busy',
  ENAMETOOLONG: 'name too long',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
  ENODATA: 'no data available',
  ENOTSUP: 'operation not supported',
  EAGAIN: 'resource temporarily unavailable',
  EBADF: 'bad file descriptor',
  ENOSYS: 'function not implemented',
  EROFS: 'read-only file system',
  EXDEV: 'cross-device link',
  EPIPE: 'broken pipe',
  EINTR: 'interrupted system call',
};

/** An error that carries an errno name, the operation and the path it happened on. */
export class AudiofsError extends Error {
  readonly code: ErrnoName;
  readonly op: string;
  readonly path: string;
  /** What went wrong, without the errno prefix: the text for /log. */
  readonly detail: string;

  constructor(code: ErrnoName, op: string, path: string, detail?: string, options?: { cause?: unknown }) {
    const text = detail ?? DESCRIPTIONS[code];
    super(`${code}: ${text}, ${op} '${path}'`, options);
    this.name = 'AudiofsError';
    this.code = code;
    this.op = op;
    this.path = path;
    this.detail = text;
  }
}

/** Makes an AudiofsError: `createError('ENOENT', 'open', '/x')` reads "ENOENT: no such file or directory, open '/x'". */
export function createError(code: ErrnoName, op: string, path: string, detail?: string): AudiofsError {
  return new AudiofsError(code, op, path, detail);
}

/** The error of an operation given up because `signal` fired (its process got a signal): the reason if it is an EINTR, else a new EINTR. */
export function interruptedError(signal: AbortSignal, op: string, path = ''): AudiofsError {
  const reason: unknown = signal.reason;
  if (reason instanceof AudiofsError && reason.code === 'EINTR') return reason;
  return new AudiofsError('EINTR', op, path, 'interrupted by a signal');
}

/** A ctl line that could not be taken: carries the line and what was expected. */
export class CtlError extends AudiofsError {
  readonly line: string;
  constructor(code: ErrnoName, path: string, line: string, detail: string) {
    super(code, 'write', path, detail);
    this.name = 'CtlError';
    this.line = line;
  }
}

/** A stage that ended on its own: its exit code or signal and the tail of its stderr. */
export class StageExitError extends AudiofsError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  constructor(path: string, exitCode: number | null, signal: string | null, stderrTail: string) {
    const how = signal ? `killed by ${signal}` : `exited with ${exitCode}`;
    super('EIO', 'run', path, `stage ${how}`);
    this.name = 'StageExitError';
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** The errno name of any thrown value: an AudiofsError's code, a Node system error's code, else EIO. */
export function errnoNameOf(err: unknown): ErrnoName {
  if (err instanceof AudiofsError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in DESCRIPTIONS) return code as ErrnoName;
  return 'EIO';
}
