import type { Logger } from '../base/logger.js';
import { ConfigError } from '../config/config-error.js';
import type { Config, ConfigContext } from '../config/config-types.js';
import { diffConfig } from '../config/diff-config.js';
import { SECRET_MASK } from '../config/format-config.js';
import { parseConfig } from '../config/parse-config.js';
import { watchConfig, type ConfigWatcher } from '../config/watch-config.js';
import type { Outputs } from './outputs.js';

/** The running configuration: /config shows it, a write or a change of the config file applies it live. */
export class LiveConfig {
  private watcher: ConfigWatcher | undefined;
  private applying: Promise<void> = Promise.resolve();

  constructor(public current: Config, private readonly context: ConfigContext, private readonly outputs: Outputs, private readonly logger: Logger) {}

  /** Parses and applies a whole config text; throws (and logs) a ConfigError when it is invalid, changing nothing. */
  async applyText(text: string, from: string): Promise<void> {
    let next: Config;
    try {
      next = parseConfig(text, this.context);
    } catch (err) {
      const detail = err instanceof ConfigError ? err.detail : (err as Error).message;
      const line = err instanceof ConfigError ? lineOfKey(text, err.key) : undefined;
      this.logger.error(`${from}: refused, the running configuration stays: ${line ? `line ${line}: ` : ''}${detail}`);
      throw err instanceof ConfigError ? err : new ConfigError('', `expected a valid configuration, got ${detail}`, { cause: err });
    }
    await this.apply(this.unmasked(next, from), from);
  }

  /** A config written back as /config showed it: the masked password means the one in force. */
  private unmasked(next: Config, from: string): Config {
    if (next.icecast?.password !== SECRET_MASK) return next;
    const current = this.current.icecast;
    if (!current) {
      const detail = `config: icecast.password: expected the source password, got the mask '${SECRET_MASK}' and no password is in force`;
      this.logger.error(`${from}: refused, the running configuration stays: ${detail}`);
      throw new ConfigError('icecast.password', `expected the source password, got the mask '${SECRET_MASK}' and no password is in force`);
    }
    return { ...next, icecast: { ...next.icecast, password: current.password } };
  }

  /** Applies a valid config: live keys at once, keys that need a restart named in the log and left as they run. */
  apply(next: Config, from: string): Promise<void> {
    this.applying = this.applying.catch(() => undefined).then(async () => {
      const before = this.current;
      const diff = diffConfig(before, next);
      const running: Config = { ...next, rate: before.rate, channels: before.channels, period: before.period, stateDir: before.stateDir, allowOther: before.allowOther, group: before.group };
      this.current = running;
      this.logger.level = running.log.level;
      await this.outputs.apply(running);
      if (diff.live.length > 0) this.logger.info(`${from}: applied ${diff.live.join(', ')}`);
      if (diff.restart.length > 0) this.logger.warn(`${from}: ${diff.restart.join(', ')} changed: needs a restart (audiofs restart) to take effect`);
      if (diff.live.length + diff.restart.length === 0) this.logger.info(`${from}: no change`);
    });
    return this.applying;
  }

  /** Watches the config file: a valid change applies as a write to /config would, an invalid one is logged and refused. */
  watch(file: string): void {
    this.watcher = watchConfig(file, {
      ...this.context,
      onChange: (config) => void this.apply(config, file).catch((err: Error) => this.logger.error(`${file}: ${err.message}`)),
      onError: (err) => this.logger.error(`${err.message}; the running configuration stays`),
    });
  }

  /** Stops watching. */
  close(): void {
    this.watcher?.close();
  }
}

/** The line (from 1) where a top-level key of a config path (`mp3[1].bitrate` -> `mp3`) is written, if it is found. */
function lineOfKey(text: string, key: string): number | undefined {
  const top = /^[^.[]+/.exec(key)?.[0];
  if (!top) return undefined;
  const at = text.split('\n').findIndex((l) => l.startsWith(`${top}:`) || l.startsWith(`'${top}':`) || l.startsWith(`"${top}":`));
  return at < 0 ? undefined : at + 1;
}
