import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { AudiofsError } from '../base/errors.js';
import { secondsToBytes, type PcmFormat } from '../base/pcm-format.js';
import type { Seconds } from '../base/units.js';
import type { InputTypeSetting } from '../procchain/chain.js';
import { MemoryInputStore, type InputStore } from '../procchain/input-store.js';
import { detectInputType, INPUT_TYPE_PROBE_BYTES } from '../sequencer/input-type.js';
import { sliceMidi } from '../sequencer/midi-slice.js';
import { WavToPcm } from '../sequencer/wav-input.js';

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
}

/** The type of a stored input: as set with `type`, else detected from its first bytes. */
export async function inputTypeOf(store: InputStore, setting: InputTypeSetting): Promise<'midi' | 'wav' | 'pcm'> {
  if (setting !== 'auto') return setting;
  if (store.size === 0) return 'pcm';
  return detectInputType(await store.read(0, INPUT_TYPE_PROBE_BYTES));
}

/**
 * What to feed for a region: raw PCM from the exact frame; MIDI sliced through its tempo map
 * (the state in force at `from` kept); WAV converted to the project format at the edge, then cut.
 */
export async function prepareFeed(store: InputStore, options: { type: InputTypeSetting; region: Region; format: PcmFormat; where: string }): Promise<Feed> {
  const type = await inputTypeOf(store, options.type);
  const { from, to } = options.region;
  if (type === 'midi') {
    if (from === 0 && to === undefined) return { store, from: 0, type };
    const bytes = await store.read(0, store.size);
    const slice = guard(options.where, 'MIDI', () => sliceMidi(bytes, { from, to }));
    return { store: memoryStore(Buffer.from(slice)), from: 0, type };
  }
  let pcm = store;
  if (type === 'wav') pcm = await convertWav(store, options.format, options.where);
  const start = Math.min(secondsToBytes(from, options.format), pcm.size);
  const end = to === undefined ? undefined : Math.min(secondsToBytes(to, options.format), pcm.size);
  return { store: pcm, from: start, to: end, type };
}

async function convertWav(store: InputStore, format: PcmFormat, where: string): Promise<InputStore> {
  const out = new MemoryInputStore();
  let offset = 0;
  const source = Readable.from((async function* () {
    for (let at = 0; at < store.size; at += 1 << 20) yield Buffer.from(await store.read(at, Math.min(1 << 20, store.size - at)));
  })());
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.write(offset, chunk);
      offset += chunk.length;
      cb();
    },
  });
  try {
    await pipeline(source, new WavToPcm({ format }), sink);
  } catch (err) {
    throw new AudiofsError('EINVAL', 'play', where, `WAV input: ${(err as Error).message}`);
  }
  return out;
}

function guard<T>(where: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new AudiofsError('EINVAL', 'play', where, `${what} input: ${(err as Error).message}`);
  }
}

function memoryStore(data: Buffer): InputStore {
  const s = new MemoryInputStore();
  s.write(0, data);
  return s;
}
