import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config, ConfigContext } from './config-types.js';
import { ConfigError } from './config-error.js';
import { defaultConfig } from './default-config.js';
import { defaultConfigFile } from './config-paths.js';
import { parseConfig } from './parse-config.js';

/** A loaded configuration and the file it came from (the one to watch), or none when defaults were used. */
export interface LoadedConfig {
  readonly config: Config;
  /** The file read, absolute; for the default location it is named even when it did not exist. */
  readonly file: string;
  /** Whether the file existed (false: defaults). */
  readonly found: boolean;
}

/** Reads `--config FILE` (which must exist) or the default file (missing means defaults); throws ConfigError. */
export async function loadConfig(file: string | undefined, context: ConfigContext): Promise<LoadedConfig> {
  const env = context.env ?? process.env;
  const path = resolve(file ?? defaultConfigFile(env));
  let textRead: string;
  try {
    textRead = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && file === undefined) {
      return { config: defaultConfig(context.mountDir, env), file: path, found: false };
    }
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ConfigError('', `expected a readable file, got ${code}`, { file: path, cause: err });
  }
  return { config: parseConfigFile(textRead, path, context), file: path, found: true };
}

/** Parses text read from `file`, naming the file in any error. */
export function parseConfigFile(yamlText: string, file: string, context: ConfigContext): Config {
  try {
    return parseConfig(yamlText, context);
  } catch (err) {
    if (err instanceof ConfigError) throw err.inFile(file);
    throw err;
  }
}
