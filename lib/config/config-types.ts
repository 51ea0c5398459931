import type { Hz, Frames } from '../base/units.js';
import type { LogLevel } from '../base/logger.js';

/** Where MP3 listeners connect (`HOST:PORT`); port 0 means any free port. */
export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/** One LAME encoder; the first one configured is /stream.mp3. */
export interface Mp3Output {
  readonly bitrate: number;
}

/** An Icecast source connection: `PUT /mount` on host:port with Basic auth. */
export interface IcecastTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly mount: string;
  readonly user: string;
  readonly password: string;
}

/** The running configuration, validated; field names are the YAML keys in camelCase. */
export interface Config {
  readonly rate: Hz;
  readonly channels: number;
  readonly period: Frames;
  /** Absolute, with `~` and `<mount-name>` expanded. */
  readonly stateDir: string;
  /** `auto`, `off`, or a PortAudio device name. */
  readonly device: string;
  /** null when `http: off`. */
  readonly http: HttpAddress | null;
  /** Empty when `mp3: off`. */
  readonly mp3: readonly Mp3Output[];
  /** null when `icecast: off`. */
  readonly icecast: IcecastTarget | null;
  readonly collect: boolean;
  readonly allowOther: boolean;
  /** The group (gid) whose members may control the transport and the mixers; null for none. */
  readonly group: number | null;
  readonly log: { readonly level: LogLevel };
}

/** The YAML keys a config file may hold, in the order /config shows them. */
export const CONFIG_KEYS = [
  'rate', 'channels', 'period', 'state_dir', 'device', 'http', 'mp3', 'icecast', 'collect', 'allow_other', 'group', 'log',
] as const;

/** One top-level YAML key. */
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Where the config is read relative to: the mount directory and the environment (HOME, XDG_*). */
export interface ConfigContext {
  readonly mountDir: string;
  readonly env?: NodeJS.ProcessEnv;
}
