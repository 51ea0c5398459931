import { AudiofsError } from '../base/errors.js';

/** Names at the root of the mount that a chain cannot take. */
export const ROOT_FILES = ['ctl', 'mixer', 'config', 'status', 'log', 'comments', 'out', 'stream.mp3', 'channels'] as const;

/** Names inside a chain directory that a stage cannot take. */
export const CHAIN_FILES = ['in', 'out', 'ctl', 'mixer'] as const;

/** The longest name accepted for a chain or stage. */
export const MAX_NAME = 255;

/** Why a name cannot be an entry of the mount (invalid UTF-8 shows as U+FFFD once decoded), or undefined. */
export function entryNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return "is '.' or '..'";
  if (name.includes('/')) return "contains '/'";
  if (/[\x00-\x1f\x7f-\x9f]/.test(name)) return 'contains a control character';
  if (name.includes('\uFFFD')) return 'is not valid UTF-8';
  if (Buffer.byteLength(name) > MAX_NAME) return `is longer than ${MAX_NAME} bytes`;
  return undefined;
}

/** Throws EINVAL unless `name` can be a directory name in the mount (no `/`, not `.`/`..`, no control characters). */
export function checkName(name: string, what: 'chain' | 'stage', where: string, reserved: readonly string[]): void {
  const fail = (why: string): never => {
    throw new AudiofsError('EINVAL', 'write', where, `${what} name '${printable(name)}' ${why}`);
  };
  if (name === '') fail('is empty (expected a name)');
  if (name === '.' || name === '..') fail("is '.' or '..' (expected a plain name)");
  if (name.includes('/')) fail("contains '/' (expected a name without '/')");
  if (/[\x00-\x1f\x7f-\x9f]/.test(name)) fail('contains a control character (expected printable characters)');
  if (name.includes('\uFFFD')) fail('is not valid UTF-8 (expected a UTF-8 name)');
  if (Buffer.byteLength(name) > MAX_NAME) fail(`is longer than ${MAX_NAME} bytes`);
  if (reserved.includes(name)) fail(`is reserved (expected a name other than ${reserved.join(', ')})`);
}

/** A string with control characters shown as \xNN, for messages. */
export function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
