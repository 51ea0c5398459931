// A queued path made ready to play: read, decoded into the project format, analysed (or taken from the cache).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { PcmFormat } from '../base/pcm-format.js';
import type { PcmBuffer } from './pcm-buffer.js';
import { analyzePcm, type AnalyzeOptions, type TrackAnalysis } from './analyze.js';
import { contentHash, type AnalysisCache } from './analysis-cache.js';
import { decodeTrack, TrackDecodeError } from './decode.js';
import type { Lufs } from './loudness.js';
import { normalizationGain, outputLimiter } from './normalize.js';
import type { Decibels } from '../base/units.js';

/** A decoded, analysed track. */
export interface LoadedTrack {
  readonly path: string;
  /** The file name, for now-playing lines. */
  readonly name: string;
  readonly pcm: PcmBuffer;
  readonly analysis: TrackAnalysis;
  /** Whether the analysis came from the cache. */
  readonly cached: boolean;
  /** The gain (dB) that brings it to the target loudness through the output limiter, when a target was given. */
  readonly gain?: Decibels;
}

/** How to load a track. */
export interface LoadOptions extends AnalyzeOptions {
  format: PcmFormat;
  cache?: AnalysisCache;
  /** The loudness (LUFS) the radio brings every track to: the gain for it is computed here, off the audio path. */
  target?: Lufs;
}

/** Reads, decodes and analyses a track; throws TrackDecodeError with the reason when it cannot. */
export async function loadTrack(path: string, options: LoadOptions): Promise<LoadedTrack> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new TrackDecodeError(path, `cannot read: ${(err as Error).message}`);
  }
  const pcm = await decodeTrack(bytes, options.format, path);
  const hash = contentHash(bytes);
  const hit = await options.cache?.get(hash);
  const analysis = hit ?? (await analyzePcm(pcm, options));
  if (!hit) await options.cache?.put(hash, analysis).catch(() => undefined);
  const gain = options.target === undefined ? undefined : normalizationGain(pcm, analysis, options.target, outputLimiter(options.format.rate));
  return { path, name: basename(path), pcm, analysis, cached: Boolean(hit), gain };
}
