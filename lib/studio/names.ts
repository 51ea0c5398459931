import { AudiofsError } from '../base/errors.js';

/** Names at the root of the mount that a chain cannot take. */
export const ROOT_FILES = ['ctl', 'mixer', 'config', 'status', 'log', 'comments', 'out', 'stream.mp3', 'channels'] as const;

/** One of the root's own files (the tree provides exactly these). */
export type RootFile = (typeof ROOT_FILES)[number];

/** Names inside a chain directory that a stage cannot take. */
export const CHAIN_FILES = ['in', 'out', 'ctl', 'mixer'] as const;

/** One of a chain directory's own files (the tree provides exactly these). */
export type ChainFile = (typeof CHAIN_FILES)[number];

/** The longest name accepted for a chain or stage. */
export const MAX_NAME = 255;

/** What is wrong with a name, and what was expected instead. */
export interface NameProblem {
  why: string;
  expected?: string;
  code: 'EINVAL' | 'ENAMETOOLONG';
}

/** Why a name cannot be an entry of the mount (invalid UTF-8 shows as U+FFFD once decoded), or undefined. */
export function nameProblem(name: string): NameProblem | undefined {
  const invalid = (why: string, expected: string): NameProblem => ({ why, expected, code: 'EINVAL' });
  if (name === '') return invalid('is empty', 'a name');
  if (name === '.' || name === '..') return invalid("is '.' or '..'", 'a plain name');
  if (name.includes('/')) return invalid("contains '/'", "a name without '/'");
  if (/[\x00-\x1f\x7f-\x9f]/.test(name)) return invalid('contains a control character', 'printable characters');
  if (name.includes('\uFFFD')) return invalid('is not valid UTF-8', 'a UTF-8 name');
  if (Buffer.byteLength(name) > MAX_NAME) return { why: `is longer than ${MAX_NAME} bytes`, code: 'ENAMETOOLONG' };
  return undefined;
}

/** Throws EINVAL unless `name` can be a directory name in the mount (no `/`, not `.`/`..`, no control characters). */
export function checkName(name: string, what: 'chain' | 'stage', where: string, reserved: readonly string[]): void {
  const fail = (why: string): never => {
    throw new AudiofsError('EINVAL', 'write', where, `${what} name '${printable(name)}' ${why}`);
  };
  const problem = nameProblem(name);
  if (problem) fail(problem.expected ? `${problem.why} (expected ${problem.expected})` : problem.why);
  if (reserved.includes(name)) fail(`is reserved (expected a name other than ${reserved.join(', ')})`);
}

/** A string with control characters shown as \xNN, for messages. */
export function printable(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
