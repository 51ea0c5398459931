import { AudiofsError } from '../base/errors.js';
import { secondsToBytes, type PcmFormat } from '../base/pcm-format.js';
import type { Seconds } from '../base/units.js';
import type { InputTypeSetting } from '../procchain/chain.js';
import { MemoryInputStore, type InputStore } from '../procchain/input-store.js';
import { detectInputType, INPUT_TYPE_PROBE_BYTES } from '../sequencer/input-type.js';
import { MAX_MIDI_BYTES, sliceMidiOffThread } from '../sequencer/midi-jobs.js';
import type { ConvertedInputs } from './converted-inputs.js';

/** A region of the song in seconds (`to` absent: to the end). */
export interface Region {
  from: Seconds;
  to?: Seconds;
}

/** What a feeder sends for one stored input: a store and a byte range of it. */
export interface Feed {
  store: InputStore;
  from: number;
  to?: number;
  type: 'midi' | 'wav' | 'pcm';
  /** Releases what the feed holds (its interest in a conversion's progress). */
  dispose?: () => Promise<void>;
}

/** The type of a stored input: as set with `type`, else detected from its first bytes. */
export async function inputTypeOf(store: InputStore, setting: InputTypeSetting): Promise<'midi' | 'wav' | 'pcm'> {
  if (setting !== 'auto') return setting;
  if (store.size === 0) return 'pcm';
  return detectInputType(await store.read(0, INPUT_TYPE_PROBE_BYTES));
}

/** Options of prepareFeed. */
export interface FeedOptions {
  type: InputTypeSetting;
  region: Region;
  format: PcmFormat;
  /** The chain, for messages. */
  where: string;
  /** WAV inputs converted once each, fed from there on every pass. */
  converted: ConvertedInputs;
  /** Called as converted data arrives (the run's feeder looks again). */
  onProgress?: () => void;
}

/**
 * What to feed for a region: raw PCM from the exact frame; MIDI sliced through its tempo map by a
 * worker thread (the state in force at `from` kept); WAV converted to the project format once (by a worker
 * thread, into a spill file) and fed from the region's frame of that, while it converts.
 */
export async function prepareFeed(store: InputStore, options: FeedOptions): Promise<Feed> {
  const type = await inputTypeOf(store, options.type);
  const { from, to } = options.region;
  if (type === 'midi') {
    if (from === 0 && to === undefined) return { store, from: 0, type };
    // Past the limit, only enough is read for the worker to refuse it.
    const bytes = await store.read(0, Math.min(store.size, MAX_MIDI_BYTES + 1));
    const slice = await sliceMidiOffThread(bytes, { from, to }).catch((err: Error) => {
      throw new AudiofsError('EINVAL', 'play', options.where, `MIDI input: ${err.message}`);
    });
    return { store: memoryStore(Buffer.from(slice)), from: 0, type };
  }
  if (type === 'wav') {
    const { pcm, unlisten } = await options.converted.get(store, options.where, options.onProgress ?? (() => undefined)).catch((err: Error) => {
      throw new AudiofsError('EINVAL', 'play', options.where, `WAV input: ${err.message}`);
    });
    // The region is a byte range of the converted PCM, as for a raw input; its end is known once converted.
    const start = secondsToBytes(from, options.format);
    const end = to === undefined ? undefined : Math.max(start, secondsToBytes(to, options.format));
    return { store: pcm, from: start, to: end, type, dispose: async () => unlisten() };
  }
  const start = Math.min(secondsToBytes(from, options.format), store.size);
  const end = to === undefined ? undefined : Math.min(secondsToBytes(to, options.format), store.size);
  return { store, from: start, to: end, type };
}

function memoryStore(data: Buffer): InputStore {
  const s = new MemoryInputStore();
  s.write(0, data);
  return s;
}
