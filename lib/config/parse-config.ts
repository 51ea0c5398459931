import yaml from 'js-yaml';
import type { Config, ConfigContext } from './config-types.js';
import { CONFIG_KEYS } from './config-types.js';
import { ConfigError, refuse } from './config-error.js';
import { defaultConfig } from './default-config.js';
import { expandPath } from './config-paths.js';
import {
  boolean, device, groupId, httpAddress, icecastTarget, integer, logOptions, mapping, mp3Outputs,
} from './config-fields.js';

/** Reads YAML text into a validated Config; missing keys take their defaults; throws ConfigError naming the key. */
export function parseConfig(yamlText: string, context: ConfigContext): Config {
  let doc: unknown;
  try {
    doc = yaml.load(yamlText, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    const where = mark ? `line ${mark.line + 1}, column ${mark.column + 1}` : 'YAML';
    throw new ConfigError('', `${where}: expected valid YAML, got ${reason}`, { cause: err });
  }
  if (doc === null || doc === undefined) return defaultConfig(context.mountDir, context.env);
  const raw = mapping(doc, '', CONFIG_KEYS);
  const base = defaultConfig(context.mountDir, context.env);
  const has = (k: string): boolean => raw[k] !== undefined && raw[k] !== null;
  return {
    rate: has('rate') ? integer(raw.rate, 'rate', 8000, 192000) : base.rate,
    channels: has('channels') ? integer(raw.channels, 'channels', 1, 8) : base.channels,
    period: has('period') ? integer(raw.period, 'period', 16, 65536) : base.period,
    stateDir: has('state_dir') ? stateDir(raw.state_dir, context) : base.stateDir,
    device: has('device') ? device(raw.device, 'device') : base.device,
    http: has('http') ? httpAddress(raw.http, 'http') : base.http,
    mp3: has('mp3') ? mp3Outputs(raw.mp3, 'mp3') : base.mp3,
    icecast: has('icecast') ? icecastTarget(raw.icecast, 'icecast') : base.icecast,
    collect: has('collect') ? boolean(raw.collect, 'collect') : base.collect,
    allowOther: has('allow_other') ? boolean(raw.allow_other, 'allow_other') : base.allowOther,
    group: has('group') ? groupId(raw.group, 'group') : base.group,
    log: has('log') ? logOptions(raw.log, 'log') : base.log,
  };
}

function stateDir(value: unknown, context: ConfigContext): string {
  const expected = 'an absolute path or one starting with ~/ (<mount-name> is replaced)';
  if (typeof value !== 'string') refuse('state_dir', expected, value);
  return expandPath(value, context.mountDir, context.env) ?? refuse('state_dir', expected, value);
}
