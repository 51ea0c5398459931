import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/**
 * The name of a mount's state directory: the mount directory's basename (characters other than
 * letters, digits, `.`, `_` and `-` turned into `_`; `root` for `/`), a dash, and the first 8 hex
 * digits of the SHA-256 of its absolute path, so `/home/u/studio` -> `studio-1a2b3c4d` stays readable
 * and two `studio` directories in different places never share state.
 */
export function mountName(mountDir: string): string {
  const abs = resolve(mountDir);
  const base = basename(abs).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 8);
  return `${base}-${hash}`;
}

/** The home directory: $HOME when set, else the account's. */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}

/** The default config file: $XDG_CONFIG_HOME/audiofs/config.yaml, else ~/.config/audiofs/config.yaml. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homeDir(env), '.config');
  return join(base, 'audiofs', 'config.yaml');
}

/** The default state directory of a mount: $XDG_STATE_HOME (else ~/.local/state)/audiofs/<mount-name>. */
export function defaultStateDir(mountDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(homeDir(env), '.local', 'state');
  return join(base, 'audiofs', mountName(mountDir));
}

/** Expands a leading `~` and every `<mount-name>` in a configured path; undefined when it is not absolute after that. */
export function expandPath(path: string, mountDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let p = path.replaceAll('<mount-name>', mountName(mountDir));
  if (p === '~') p = homeDir(env);
  else if (p.startsWith('~/')) p = join(homeDir(env), p.slice(2));
  return p.startsWith('/') ? resolve(p) : undefined;
}
