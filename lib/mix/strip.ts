import { AudiofsError } from '../base/errors.js';
import { dbToGain, type GainFactor } from '../base/units.js';

/** A volume as the user wrote it: the gain it means and the text it reads back as. */
export interface Volume {
  readonly gain: GainFactor;
  readonly text: string;
}

/** The settings of one mixer strip (a chain's NAME/mixer, or the master's /mixer). */
export interface StripSettings {
  volume: Volume;
  /** Balance in -1..1: P>0 scales the left channel by (1-P), P<0 scales the right by (1+P); 0 leaves both. */
  pan: number;
  mute: boolean;
  solo: boolean;
}

/** Which strip a mixer file belongs to: the master takes only volume and mute. */
export interface StripKind {
  master?: boolean;
}

/** Unity volume, the default of every strip. */
export const UNITY_VOLUME: Volume = Object.freeze({ gain: 1, text: '1' });

/** A strip at unity gain, centred, not muted, not soloed. */
export function defaultStrip(): StripSettings {
  return { volume: UNITY_VOLUME, pan: 0, mute: false, solo: false };
}

const VOLUME_RE = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(dB)?$/i;
const MAX_GAIN: GainFactor = 16;

/** Parses a volume: a linear factor (`0.5`) or decibels (`-6dB`), kept in the user's form. */
export function parseVolume(text: string): Volume {
  const m = VOLUME_RE.exec(text.trim());
  const bad = `expected a linear gain from 0 to ${MAX_GAIN} such as 0.5, or decibels such as -6dB, got '${text}'`;
  if (!m) throw new Error(bad);
  const n = Number(m[1]);
  if (m[2]) {
    const gain = dbToGain(n);
    if (gain > MAX_GAIN) throw new Error(bad);
    return { gain, text: `${m[1]}dB` };
  }
  if (n < 0 || n > MAX_GAIN) throw new Error(bad);
  return { gain: n, text: m[1] };
}

function parseOnOff(word: string | undefined, verb: string): boolean {
  if (word === 'on') return true;
  if (word === 'off') return false;
  throw new Error(`expected '${verb} on' or '${verb} off', got '${verb} ${word ?? ''}'`.trimEnd());
}

function parsePan(word: string | undefined): number {
  const n = Number(word);
  if (word === undefined || word.trim() === '' || !Number.isFinite(n) || n < -1 || n > 1) {
    throw new Error(`expected 'pan P' with P from -1 to 1, got 'pan ${word ?? ''}'`.trimEnd());
  }
  return n;
}

/** Applies one line to a copy of the settings; throws a plain Error that says what was expected. */
function applyLine(s: StripSettings, line: string, kind: StripKind): StripSettings {
  const [verb, ...rest] = line.trim().split(/\s+/);
  const arg = rest.length > 0 ? rest.join(' ') : undefined;
  const verbs = kind.master ? 'volume or mute' : 'volume, pan, mute or solo';
  switch (verb) {
    case 'volume':
      if (arg === undefined) throw new Error(`expected 'volume 0.5' or 'volume -6dB', got 'volume'`);
      return { ...s, volume: parseVolume(arg) };
    case 'mute':
      return { ...s, mute: parseOnOff(arg, 'mute') };
    case 'pan':
      if (kind.master) break;
      return { ...s, pan: parsePan(arg) };
    case 'solo':
      if (kind.master) break;
      return { ...s, solo: parseOnOff(arg, 'solo') };
  }
  throw new Error(`unknown setting '${verb}' (expected ${verbs})`);
}

/** Applies the lines of a write to a mixer file, all or nothing; a bad line throws EINVAL that says what was expected. */
export function applyStripText(s: StripSettings, text: string, options: StripKind & { path?: string } = {}): StripSettings {
  const path = options.path ?? (options.master ? '/mixer' : 'mixer');
  let next = s;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      next = applyLine(next, lines[i], options);
    } catch (err) {
      throw new AudiofsError('EINVAL', 'write', path, `line ${i + 1}: ${(err as Error).message}`);
    }
  }
  return next;
}

/** The settings as the lines of the mixer file, one a line (what reading it gives). */
export function formatStrip(s: StripSettings, options: StripKind = {}): string {
  const lines = [`volume ${s.volume.text}`];
  if (!options.master) lines.push(`pan ${s.pan}`);
  lines.push(`mute ${s.mute ? 'on' : 'off'}`);
  if (!options.master) lines.push(`solo ${s.solo ? 'on' : 'off'}`);
  return lines.join('\n') + '\n';
}
