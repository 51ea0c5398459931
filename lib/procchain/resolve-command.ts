import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { AudiofsError } from '../base/errors.js';

/** Where commands are looked up. */
export interface ResolveOptions {
  /** The PATH to search (audiofs appends its own bin/). */
  path: string;
  /** audiofs's working directory, the last place a relative command with a `/` is tried. */
  cwd: string;
}

/**
 * The absolute path of an executable: absolute commands as they are; `audio/synth` under each PATH
 * directory (Plan 9's /bin union), then relative to cwd; plain names through PATH. ENOENT when none.
 */
export async function resolveCommand(cmd: string, options: ResolveOptions, where = 'ctl'): Promise<string> {
  if (cmd === '') throw new AudiofsError('EINVAL', 'write', where, 'empty command (expected a program name)');
  const key = `${options.cwd}\0${options.path}\0${cmd}`;
  const known = recent.get(key);
  if (known && Date.now() - known.at < RECENT_MS) return known.file;
  const file = await search(cmd, options, where);
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(key, { file, at: Date.now() });
  return file;
}

/**
 * How long a command found stays found without looking again (ms): a burst of ctl lines (a script, tar x of a
 * large /ctl) looks each program up once, not once a stage (each look is a stat of every PATH directory,
 * ~1 ms of the thread pool for three stages). A program installed meanwhile earlier in PATH is found this
 * long after at most; a command not found is looked for again every time.
 */
export const RECENT_MS = 1000;
const RECENT_MAX = 1024;
const recent = new Map<string, { file: string; at: number }>();

async function search(cmd: string, options: ResolveOptions, where: string): Promise<string> {
  const dirs = options.path.split(delimiter).filter((d) => d !== '');
  const candidates = isAbsolute(cmd)
    ? [cmd]
    : [...dirs.map((d) => resolve(options.cwd, d, cmd)), ...(cmd.includes('/') ? [join(options.cwd, cmd)] : [])];
  // Asked all at once (the answers come from the thread pool), taken in PATH order.
  const found = await Promise.all(candidates.map(isExecutableFile));
  const first = found.indexOf(true);
  if (first >= 0) return candidates[first];
  const how = isAbsolute(cmd) ? 'as given' : cmd.includes('/') ? `under PATH and ${options.cwd}` : 'in PATH';
  throw new AudiofsError('ENOENT', 'write', where, `program '${cmd}' not found ${how} (expected an executable file)`);
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
