import { isDeepStrictEqual } from 'node:util';
import type { Config } from './config-types.js';

/** Which changed YAML keys apply live and which need a restart (names as in the file, e.g. `log.level`). */
export interface ConfigDiff {
  readonly live: string[];
  readonly restart: string[];
}

const LIVE: ReadonlyArray<[string, (c: Config) => unknown]> = [
  ['device', (c) => c.device],
  ['http', (c) => c.http],
  ['mp3', (c) => c.mp3],
  ['icecast', (c) => c.icecast],
  ['collect', (c) => c.collect],
  ['log.level', (c) => c.log.level],
];

const RESTART: ReadonlyArray<[string, (c: Config) => unknown]> = [
  ['rate', (c) => c.rate],
  ['channels', (c) => c.channels],
  ['period', (c) => c.period],
  ['state_dir', (c) => c.stateDir],
  ['allow_other', (c) => c.allowOther],
  ['group', (c) => c.group],
];

/** Compares two configs: the keys that changed, split into those applied live and those that need a restart. */
export function diffConfig(before: Config, after: Config): ConfigDiff {
  const changed = (list: typeof LIVE): string[] =>
    list.filter(([, get]) => !isDeepStrictEqual(get(before), get(after))).map(([key]) => key);
  return { live: changed(LIVE), restart: changed(RESTART) };
}
