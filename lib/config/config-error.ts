import { AudiofsError } from '../base/errors.js';

/** A configuration that was refused: the key, what was expected and what was received. */
export class ConfigError extends AudiofsError {
  /** The key path, such as `mp3[1].bitrate`; empty for the document as a whole. */
  readonly key: string;
  /** What was expected and what was received, without the key. */
  readonly reason: string;

  constructor(key: string, detail: string, options?: { file?: string; cause?: unknown }) {
    const where = key === '' ? 'config' : `config: ${key}`;
    super('EINVAL', 'config', options?.file ?? '/config', `${where}: ${detail}`, { cause: options?.cause });
    this.name = 'ConfigError';
    this.key = key;
    this.reason = detail;
    this.message = options?.file ? `${options.file}: ${this.detail}` : this.detail;
  }

  /** The same error, naming the file it came from. */
  inFile(file: string): ConfigError {
    return new ConfigError(this.key, this.reason, { file, cause: this.cause });
  }
}

/** Shows a received value in an error message: strings quoted, objects as JSON, cut short. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}...` : value}'`;
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === 'object') return `a mapping (${JSON.stringify(value).slice(0, 60)})`;
  return String(value);
}

/** Throws a ConfigError saying what `key` expected and what it got. */
export function refuse(key: string, expected: string, received: unknown): never {
  // A secret is never repeated back, not even a wrong one.
  const shown = /password/.test(key) && received !== undefined && received !== null ? 'a value (not shown)' : describeValue(received);
  throw new ConfigError(key, `expected ${expected}, got ${shown}`);
}
