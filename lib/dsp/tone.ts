import { framesToBytes, secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import { dbToGain, type Decibels, type Frames, type Hz, type Seconds } from '../base/units.js';
import { parseNumberArg, UsageError } from './cli.js';
import { Oscillator } from './oscillator.js';
import { floatToS16 } from './pcm-codec.js';
import type { PcmOutput } from './pcm-output.js';
import type { Waveform } from './wavetable.js';

/** What audiofs-tone plays. */
export interface ToneOptions {
  freq: Hz;
  wave: Waveform;
  /** Endless when undefined. */
  seconds?: Seconds;
  /** Peak level in dBFS. */
  gain: Decibels;
}

const WAVES: readonly Waveform[] = ['sine', 'square', 'saw', 'triangle'];
/** Frames per block written: about 12 ms at 44.1 kHz. */
const TONE_BLOCK: Frames = 512;

/** Parses `FREQ [--wave W] [--seconds S] [--gain DB]`. */
export function parseToneArgs(args: string[], format: PcmFormat): ToneOptions {
  const options: ToneOptions = { freq: NaN, wave: 'sine', gain: -6 };
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--wave') {
      const w = args[++i] as Waveform;
      if (!WAVES.includes(w)) throw new UsageError(`--wave: expected ${WAVES.join(', ')}, got ${w === undefined ? 'nothing' : `'${w}'`}`);
      options.wave = w;
    } else if (a === '--seconds') {
      options.seconds = parseNumberArg(args[++i], '--seconds');
      if (options.seconds < 0) throw new UsageError(`--seconds: expected 0 or more, got ${options.seconds}`);
    } else if (a === '--gain') {
      options.gain = parseNumberArg(args[++i], '--gain');
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option '${a}' (expected --wave, --seconds, --gain)`);
    } else {
      positional.push(a);
    }
  }
  if (positional.length !== 1) throw new UsageError(`expected one FREQ, got ${positional.length === 0 ? 'none' : `'${positional.join(' ')}'`}`);
  options.freq = parseNumberArg(positional[0], 'FREQ');
  if (!(options.freq > 0 && options.freq < format.rate / 2)) {
    throw new UsageError(`FREQ: expected more than 0 and less than the Nyquist frequency ${format.rate / 2} Hz, got ${options.freq}`);
  }
  return options;
}

/** Writes the tone block by block, respecting backpressure; returns when done or when the reader has gone. */
export async function runTone(options: ToneOptions, format: PcmFormat, output: PcmOutput): Promise<void> {
  const osc = new Oscillator(options.wave, options.freq, format.rate);
  const gain = dbToGain(options.gain);
  const n = format.channels;
  const block = new Float32Array(TONE_BLOCK * n);
  const total = options.seconds === undefined ? Infinity : secondsToFrames(options.seconds, format);
  const bytes = Buffer.allocUnsafe(framesToBytes(TONE_BLOCK, format));
  for (let done = 0; done < total; ) {
    const frames = Math.min(TONE_BLOCK, total - done);
    for (let ch = 0; ch < n; ch++) {
      if (ch === 0) osc.render(block, frames, { gain, stride: n, offset: 0 });
      else for (let i = 0; i < frames; i++) block[i * n + ch] = block[i * n];
    }
    if (!(await output.write(Buffer.from(floatToS16(block.subarray(0, frames * n), bytes))))) return;
    done += frames;
    if (done % (TONE_BLOCK * 16) === 0) await output.yieldToEvents();
  }
  await output.end();
}
