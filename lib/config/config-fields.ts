import { readFileSync } from 'node:fs';
// One validator per YAML key: each takes the raw value and its key path, returns the typed value or throws ConfigError.
import { isIP } from 'node:net';
import { isLogLevel, type LogLevel } from '../base/logger.js';
import type { HttpAddress, IcecastTarget, Mp3Output } from './config-types.js';
import { ConfigError, refuse } from './config-error.js';

/** The bitrates LAME accepts for MPEG-1 layer III, in kbit/s. */
export const MP3_BITRATES: readonly number[] = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Whether a host name is the loopback interface. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function isOff(value: unknown): boolean {
  return value === 'off' || value === false;
}

/** A mapping whose keys are all in `known`; anything else is refused with the list of known keys. */
export function mapping(value: unknown, key: string, known: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
    refuse(key, `a mapping with keys ${known.join(', ')}`, value);
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    if (!known.includes(k)) {
      const where = key === '' ? k : `${key}.${k}`;
      throw new ConfigError(where, `unknown key (expected one of ${known.join(', ')})`);
    }
  }
  return record;
}

/** A whole number from min to max. */
export function integer(value: unknown, key: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    refuse(key, `a whole number from ${min} to ${max}`, value);
  }
  return value;
}

/** true or false. */
export function boolean(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') refuse(key, 'true or false', value);
  return value;
}

/** A non-empty string. */
export function text(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.trim() === '') refuse(key, 'a non-empty string', value);
  return value;
}

/** `auto`, `off` (or false), or a PortAudio device name. */
export function device(value: unknown, key: string): string {
  if (isOff(value)) return 'off';
  if (typeof value !== 'string' || value.trim() === '') refuse(key, "auto, off or a PortAudio device name", value);
  return value;
}

function port(value: string, key: string, whole: unknown): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535)) refuse(key, 'HOST:PORT with a port from 0 to 65535, or off', whole);
  return n;
}

/** `HOST:PORT` (`[::1]:8000` for IPv6), a bare port (loopback), or off / false (null). */
export function httpAddress(value: unknown, key: string): HttpAddress | null {
  if (isOff(value)) return null;
  if (typeof value === 'number') return { host: '127.0.0.1', port: port(String(value), key, value) };
  if (typeof value !== 'string') refuse(key, 'HOST:PORT or off', value);
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:\s]+):(\d+)$/.exec(value);
  if (!m) refuse(key, 'HOST:PORT or off', value);
  const host = m[1];
  if (m[0].startsWith('[') && isIP(host) !== 6) refuse(key, 'an IPv6 address inside [ ]', value);
  return { host, port: port(m[2], key, value) };
}

/** A list of `{bitrate}` encoders, or off / false (none). */
export function mp3Outputs(value: unknown, key: string): Mp3Output[] {
  if (isOff(value)) return [];
  if (!Array.isArray(value)) refuse(key, 'a list of {bitrate: N}, or off', value);
  return value.map((entry, i) => {
    const where = `${key}[${i}]`;
    const m = mapping(entry, where, ['bitrate']);
    if (!('bitrate' in m)) refuse(`${where}.bitrate`, `one of ${MP3_BITRATES.join(', ')}`, undefined);
    const bitrate = m.bitrate;
    if (typeof bitrate !== 'number' || !MP3_BITRATES.includes(bitrate)) {
      refuse(`${where}.bitrate`, `one of ${MP3_BITRATES.join(', ')}`, bitrate);
    }
    return { bitrate };
  });
}

/** `{url: http://HOST:PORT/MOUNT, user (default source), password}`, or off / false (null). */
export function icecastTarget(value: unknown, key: string): IcecastTarget | null {
  if (isOff(value)) return null;
  const m = mapping(value, key, ['url', 'user', 'password']);
  const url = text(m.url, `${key}.url`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    refuse(`${key}.url`, 'http://HOST:PORT/MOUNT', url);
  }
  if (parsed.protocol !== 'http:' || parsed.pathname.length < 2 || parsed.search !== '' || parsed.hash !== '') {
    refuse(`${key}.url`, 'http://HOST:PORT/MOUNT', url);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    refuse(`${key}.url`, 'no user or password in the URL (use the user and password keys)', url);
  }
  const user = m.user === undefined ? 'source' : text(m.user, `${key}.user`);
  if (m.password === undefined) refuse(`${key}.password`, 'the source password', undefined);
  const password = typeof m.password === 'number' ? String(m.password) : text(m.password, `${key}.password`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url, host, port: parsed.port === '' ? 80 : Number(parsed.port), mount: parsed.pathname, user, password };
}

/** `{level: debug|info|warn|error}`. */
export function logOptions(value: unknown, key: string): { level: LogLevel } {
  const m = mapping(value, key, ['level']);
  if (m.level === undefined) return { level: 'info' };
  if (typeof m.level !== 'string' || !isLogLevel(m.level)) refuse(`${key}.level`, 'one of debug, info, warn, error', m.level);
  return { level: m.level };
}

/** `off`, a group name from /etc/group, or a numeric gid: who may steer the transport and mixers. */
export function groupId(value: unknown, key: string, groupFile = '/etc/group'): number | null {
  if (isOff(value)) return null;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string' || value.trim() === '') refuse(key, 'off, a group name or a gid', value);
  const name = value.trim();
  if (/^\d+$/.test(name)) return Number(name);
  let text = '';
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch {
    // No group file: only a gid can name a group.
  }
  const entry = text.split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  if (!entry || !/^\d+$/.test(entry[2] ?? '')) refuse(key, `a group of ${groupFile} or a gid`, value);
  return Number(entry[2]);
}
