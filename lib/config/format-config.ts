import yaml from 'js-yaml';
import type { Config } from './config-types.js';

/** What /config shows instead of a secret; written back, it keeps the secret in force. */
export const SECRET_MASK = '********';

/**
 * The YAML document of a Config, with the file's key names: what reading /config gives (with `masked`,
 * the Icecast password shows as SECRET_MASK), and parseConfig reads back.
 */
export function formatConfig(config: Config, options: { masked?: boolean } = {}): string {
  const http = config.http === null ? 'off'
    : config.http.host.includes(':') ? `[${config.http.host}]:${config.http.port}` : `${config.http.host}:${config.http.port}`;
  const doc = {
    rate: config.rate,
    channels: config.channels,
    period: config.period,
    state_dir: config.stateDir,
    device: config.device,
    http,
    mp3: config.mp3.length === 0 ? 'off' : config.mp3.map((m) => ({ bitrate: m.bitrate })),
    icecast: config.icecast === null ? 'off'
      : { url: config.icecast.url, user: config.icecast.user, password: options.masked ? SECRET_MASK : config.icecast.password },
    collect: config.collect,
    allow_other: config.allowOther,
    group: config.group ?? 'off',
    log: { level: config.log.level },
  };
  return yaml.dump(doc, { schema: yaml.CORE_SCHEMA, lineWidth: -1, flowLevel: 2, noCompatMode: true });
}
