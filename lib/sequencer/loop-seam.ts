import { bytesPerFrame, bytesToFrames, secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { Seconds } from '../base/units.js';

/** Options of loopPass. */
export interface LoopSeamOptions {
  /** The PCM just before the loop start (what the tail fades into); without it the seam fades through silence. */
  preRoll?: Buffer;
  /** Length of the crossfade (default 5 ms). */
  fade?: Seconds;
}

/** Coherence above which the two sides count as alike (a periodic sound, not noise). */
const COHERENT = 0.5;

/** Default crossfade at a loop point. */
export const DEFAULT_LOOP_FADE: Seconds = 0.005;

/**
 * One pass of a loop, ready to repeat without a click: its last frames crossfade into the frames that
 * lead up to the loop start, so each pass ends where the next begins; the pass keeps its length.
 * Per channel, the fade is equal power when the two sides are unrelated (noise-like: low
 * cross-correlation at every small lag), and a raised cosine whose gains sum to one when they are alike, so neither level nor slope bumps. Samples are interleaved s16le.
 */
export function loopPass(pass: Buffer, format: PcmFormat, options: LoopSeamOptions = {}): Buffer {
  const frameBytes = bytesPerFrame(format);
  const passFrames = bytesToFrames(pass.length, format);
  const fadeFrames = Math.min(secondsToFrames(options.fade ?? DEFAULT_LOOP_FADE, format), Math.floor(passFrames / 2));
  const out = Buffer.from(pass.subarray(0, passFrames * frameBytes));
  if (fadeFrames < 1) return out;
  const samples = fadeFrames * format.channels;
  const tailAt = (passFrames - fadeFrames) * frameBytes;
  const preRoll = options.preRoll && bytesToFrames(options.preRoll.length, format) >= fadeFrames
    ? options.preRoll.subarray(options.preRoll.length - fadeFrames * frameBytes - (options.preRoll.length % frameBytes))
    : null;
  if (!preRoll) {
    fade(out, tailAt, samples, format.channels, 'out');
    fade(out, 0, samples, format.channels, 'in');
    return out;
  }
  const outgoing = readSamples(pass, tailAt, samples);
  const incoming = readSamples(preRoll, 0, samples);
  const windowFrames = Math.min(4 * fadeFrames, bytesToFrames(options.preRoll!.length, format), Math.floor(passFrames / 2));
  const before = (buf: Buffer, endFrame: number) => readSamples(buf, (endFrame - windowFrames) * frameBytes, windowFrames * format.channels);
  const tailWindow = before(pass, passFrames);
  const preRollWindow = before(options.preRoll!, bytesToFrames(options.preRoll!.length, format));
  const maxLag = Math.min(fadeFrames, Math.floor(windowFrames / 4));
  const coherent = Array.from({ length: format.channels }, (_, c) => coherence(tailWindow, preRollWindow, c, format.channels, maxLag) > COHERENT);
  for (let i = 0; i < samples; i++) {
    const x = (Math.floor(i / format.channels) + 0.5) / fadeFrames;
    const [a, b] = coherent[i % format.channels] ? raisedCosine(x) : equalPower(x);
    out.writeInt16LE(clip16(outgoing[i] * a + incoming[i] * b), tailAt + i * 2);
  }
  return out;
}

/** Gains of the outgoing and incoming sides that keep the power of unrelated signals. */
function equalPower(x: number): [number, number] {
  return [Math.cos((x * Math.PI) / 2), Math.sin((x * Math.PI) / 2)];
}

/** Gains that sum to one and start and end flat, for sides that are alike. */
function raisedCosine(x: number): [number, number] {
  const b = (1 - Math.cos(x * Math.PI)) / 2;
  return [1 - b, b];
}

function fade(buf: Buffer, at: number, samples: number, channels: number, direction: 'in' | 'out'): void {
  const frames = samples / channels;
  for (let i = 0; i < samples; i++) {
    const theta = ((Math.floor(i / channels) + 0.5) / frames) * (Math.PI / 2);
    const gain = direction === 'in' ? Math.sin(theta) : Math.cos(theta);
    buf.writeInt16LE(clip16(buf.readInt16LE(at + i * 2) * gain), at + i * 2);
  }
}

function readSamples(buf: Buffer, at: number, samples: number): Float64Array {
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) out[i] = buf.readInt16LE(at + i * 2);
  return out;
}

/** The largest |normalised cross-correlation| of one channel of x and y over lags up to maxLag frames. */
function coherence(x: Float64Array, y: Float64Array, channel: number, channels: number, maxLag: number): number {
  const frames = x.length / channels;
  let best = 0;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let f = Math.max(0, lag); f < Math.min(frames, frames + lag); f++) {
      const xv = x[f * channels + channel];
      const yv = y[(f - lag) * channels + channel];
      xy += xv * yv;
      xx += xv * xv;
      yy += yv * yv;
    }
    if (xx > 0 && yy > 0) best = Math.max(best, Math.abs(xy) / Math.sqrt(xx * yy));
  }
  return best;
}

function clip16(value: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(value)));
}
