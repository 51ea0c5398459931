// The command line of audiofs-dj, parsed into options; a bad argument is a UsageError (exit 2).
import type { Seconds } from '../base/units.js';
import { RADIO_DEFAULTS } from './radio.js';

/** The one-line usage. */
export const USAGE = 'usage: audiofs-dj [--beats N] [--crossfade SECONDS] [--fade-in SECONDS] [--fade-out SECONDS] [--loudness LUFS] [--cache DIR] | --analyze FILE [--cache DIR] | --help';

/** The --help text. */
export const HELP = `${USAGE}

An endless radio: reads track paths (WAV, MP3, FLAC or Ogg Vorbis) on stdin, one a line, and plays
them as one stream of PCM on stdout (s16le, AUDIOFS_RATE Hz, AUDIOFS_CHANNELS
channels; 44100 Hz stereo by default), with beat-matched transitions. Writes one
JSON line per action (fade-in, playback, crossmatch, crossfade, fade-out) on stderr.

  --beats N            beats of a crossmatch (default ${RADIO_DEFAULTS.beats})
  --crossfade SECONDS  length of a plain crossfade when tempos differ (default ${RADIO_DEFAULTS.crossfade})
  --fade-in SECONDS    fade-in of the first track (default ${RADIO_DEFAULTS.fadeIn})
  --fade-out SECONDS   fade-out after the last track (default ${RADIO_DEFAULTS.fadeOut})
  --loudness LUFS      integrated loudness (EBU R128) every track is brought to; a
                       limiter keeps peaks under -1 dBFS (default ${RADIO_DEFAULTS.loudness})
  --cache DIR          analysis cache (used when AUDIOFS_STATE_DIR is not set;
                       default $XDG_CACHE_HOME/audiofs-dj or ~/.cache/audiofs-dj)
  --analyze FILE       print the analysis of FILE as JSON and exit
  --help               this text`;

/** A command line that cannot be taken. */
export class UsageError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'UsageError';
  }
}

/** What the command line asks for. */
export interface DjArgs {
  help: boolean;
  analyze?: string;
  cache?: string;
  beats: number;
  crossfade: Seconds;
  fadeIn: Seconds;
  fadeOut: Seconds;
  loudness: number;
  maxRatio: number;
}

const NUMERIC = {
  '--beats': { key: 'beats', min: 2, max: 256, integer: true },
  '--crossfade': { key: 'crossfade', min: 0.05, max: 120, integer: false },
  '--fade-in': { key: 'fadeIn', min: 0.01, max: 120, integer: false },
  '--fade-out': { key: 'fadeOut', min: 0.01, max: 120, integer: false },
  '--loudness': { key: 'loudness', min: -70, max: 0, integer: false },
} as const;

/** Parses argv (without node and the script). */
export function parseDjArgs(argv: string[]): DjArgs {
  const args: DjArgs = { help: false, ...RADIO_DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag}: expected a value, got the end of the arguments`);
      return v;
    };
    if (flag === '--help' || flag === '-h') args.help = true;
    else if (flag === '--analyze') args.analyze = value();
    else if (flag === '--cache') args.cache = value();
    else if (flag in NUMERIC) {
      const spec = NUMERIC[flag as keyof typeof NUMERIC];
      const text = value();
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || n < spec.min || n > spec.max || (spec.integer && !Number.isInteger(n))) {
        throw new UsageError(`${flag}: expected ${spec.integer ? 'a whole number' : 'a number'} from ${spec.min} to ${spec.max}, got '${text}'`);
      }
      (args as unknown as Record<string, number>)[spec.key] = n;
    } else throw new UsageError(`unknown argument '${flag}' (expected --beats, --crossfade, --fade-in, --fade-out, --loudness, --cache, --analyze or --help)`);
  }
  return args;
}
