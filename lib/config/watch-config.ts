import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Config, ConfigContext } from './config-types.js';
import { ConfigError } from './config-error.js';
import { parseConfigFile } from './load-config.js';

/** What watchConfig needs besides the file: where to parse relative to, and who to tell. */
export interface WatchConfigOptions extends ConfigContext {
  /** Called with each new valid configuration (not again for the same text). */
  readonly onChange: (config: Config) => void;
  /** Called when the changed file is invalid or unreadable; the running configuration should stay. */
  readonly onError: (error: ConfigError) => void;
  /** Quiet time after the last event before the file is read; default 150 ms. */
  readonly debounceMs?: number;
}

/** A running config watcher. */
export interface ConfigWatcher {
  close(): void;
}

/**
 * Watches a config file through its directory, so an editor's write-to-temp-and-rename is seen
 * as well as an in-place write; each burst of events is read once, after `debounceMs` of quiet.
 */
export function watchConfig(file: string, options: WatchConfigOptions): ConfigWatcher {
  const path = resolve(file);
  const name = basename(path);
  const debounceMs = options.debounceMs ?? 150;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let lastText: string | undefined;
  let reading = Promise.resolve();

  const check = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (!closed) options.onError(new ConfigError('', `expected a readable file, got ${code}`, { file: path, cause: err }));
      lastText = undefined;
      return;
    }
    if (closed || text === lastText) return;
    lastText = text;
    let config: Config;
    try {
      config = parseConfigFile(text, path, options);
    } catch (err) {
      if (err instanceof ConfigError) options.onError(err);
      else options.onError(new ConfigError('', `expected a valid file, got ${(err as Error).message}`, { file: path, cause: err }));
      return;
    }
    options.onChange(config);
  };

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      reading = reading.then(check);
    }, debounceMs);
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) schedule();
    });
    watcher.on('error', (err) => {
      if (!closed) options.onError(new ConfigError('', `expected a watchable directory, got ${err.message}`, { file: path, cause: err }));
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const error = new ConfigError('', `expected a watchable directory ${dirname(path)}, got ${code}`, { file: path, cause: err });
    queueMicrotask(() => options.onError(error));
  }
  void readFile(path, 'utf8').then((t) => { lastText ??= t; }, () => undefined);

  return {
    close(): void {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
