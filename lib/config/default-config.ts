import type { Config } from './config-types.js';
import { defaultStateDir } from './config-paths.js';

/** The default HTTP address for /stream.mp3 listeners: loopback only. */
export const DEFAULT_HTTP = Object.freeze({ host: '127.0.0.1', port: 8000 });

/** The configuration used when no file says otherwise (DESIGN.md section 7). */
export function defaultConfig(mountDir: string, env: NodeJS.ProcessEnv = process.env): Config {
  return {
    rate: 44100,
    channels: 2,
    period: 512,
    stateDir: defaultStateDir(mountDir, env),
    device: 'auto',
    http: DEFAULT_HTTP,
    mp3: [{ bitrate: 128 }],
    icecast: null,
    collect: false,
    allowOther: false,
    group: null,
    log: { level: 'info' },
  };
}
