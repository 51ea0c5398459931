import { AudiofsError } from '../base/errors.js';
import type { DeviceSetting } from './sinks/device-sink.js';
import type { IcecastTarget } from './sinks/icecast-source.js';

/** The output keys of the config (section 7), checked and typed. */
export interface OutputConfig {
  device: DeviceSetting;
  /** null when `http: off`. */
  http: { host: string; port: number } | null;
  /** One LAME encoder each; the first is /stream.mp3. */
  mp3: Array<{ bitrate: number }>;
  /** null when `icecast: off`. */
  icecast: IcecastTarget | null;
}

const BITRATES = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];

function bad(key: string, detail: string): AudiofsError {
  return new AudiofsError('EINVAL', 'write', '/config', `${key}: ${detail}`);
}

function isOff(v: unknown): boolean {
  return v === 'off' || v === false || v === null;
}

/** Checks the output keys of a parsed YAML config (defaults for absent keys); EINVAL saying what was expected. */
export function parseOutputConfig(raw: Record<string, unknown>): OutputConfig {
  const device = raw.device ?? 'auto';
  if (typeof device !== 'string' && device !== false) throw bad('device', `expected auto, off or a device name, got ${JSON.stringify(device)}`);
  const httpRaw = raw.http ?? '127.0.0.1:8000';
  let http: OutputConfig['http'] = null;
  if (!isOff(httpRaw)) {
    const m = typeof httpRaw === 'string' ? /^(.+):(\d{1,5})$/.exec(httpRaw) : null;
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) throw bad('http', `expected HOST:PORT (such as 127.0.0.1:8000) or off, got ${JSON.stringify(httpRaw)}`);
    http = { host: m[1].replace(/^\[|\]$/g, ''), port };
  }
  const mp3Raw = raw.mp3 ?? [{ bitrate: 128 }];
  if (!Array.isArray(mp3Raw)) throw bad('mp3', `expected a list such as [{bitrate: 128}], got ${JSON.stringify(mp3Raw)}`);
  const mp3 = mp3Raw.map((e: unknown, i) => {
    const b = (e as { bitrate?: unknown } | null)?.bitrate;
    if (typeof b !== 'number' || !BITRATES.includes(b)) throw bad(`mp3[${i}].bitrate`, `expected one of ${BITRATES.join(', ')}, got ${JSON.stringify(b)}`);
    return { bitrate: b };
  });
  const iceRaw = raw.icecast ?? 'off';
  let icecast: IcecastTarget | null = null;
  if (!isOff(iceRaw)) {
    const o = iceRaw as { url?: unknown; user?: unknown; password?: unknown };
    const expected = 'expected off or {url: http://HOST:PORT/MOUNT, user: source, password: ...}';
    if (typeof o !== 'object' || typeof o.url !== 'string' || !/^http:\/\/[^/]+\/.+/.test(o.url)) throw bad('icecast', `${expected}, got ${JSON.stringify(iceRaw)}`);
    if (typeof o.password !== 'string') throw bad('icecast.password', `${expected}; the password is missing`);
    icecast = { url: o.url, user: typeof o.user === 'string' ? o.user : 'source', password: o.password };
  }
  return { device: device === false ? 'off' : device, http, mp3, icecast };
}

/** The HTTP path of the i-th encoder: /stream.mp3 for the first, /stream-BITRATE.mp3 for every one. */
export function mp3Paths(index: number, bitrate: number): string[] {
  return index === 0 ? ['/stream.mp3', `/stream-${bitrate}.mp3`] : [`/stream-${bitrate}.mp3`];
}
