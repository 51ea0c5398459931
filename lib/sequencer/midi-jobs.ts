import { Worker } from 'node:worker_threads';
import type { Bytes, Seconds } from '../base/units.js';
import type { Region } from './bars.js';
import type { MidiReply, MidiRequest } from './midi-worker.js';

/** The largest MIDI input parsed for a slice or for bars (a million events take a few MB; this leaves room for sysex). */
export const MAX_MIDI_BYTES: Bytes = 64 * 1024 * 1024;

/** A MIDI job that failed: the input could not be read (`format`) or the request is out of range (`range`). */
export class MidiJobError extends Error {
  constructor(readonly kind: 'format' | 'range', message: string) {
    super(message);
    this.name = 'MidiJobError';
  }
}

/** The slice of a MIDI file from `from` to `to` (see sliceMidi), made by a worker thread. */
export async function sliceMidiOffThread(bytes: Uint8Array, region: { from: Seconds; to?: Seconds }): Promise<Uint8Array> {
  const reply = await ask({ kind: 'slice', bytes, from: region.from, to: region.to });
  return (reply as Extract<MidiReply, { kind: 'slice' }>).bytes;
}

/** The region of step `n` of a MIDI file's bars (see stepRegion), found by a worker thread. */
export async function stepRegionOffThread(bytes: Uint8Array, barsPerStep: number, n: number): Promise<Region> {
  const reply = await ask({ kind: 'step', bytes, barsPerStep, n });
  return (reply as Extract<MidiReply, { kind: 'step' }>).region;
}

/** One worker for one request: parsing a large file never holds up the thread that serves FUSE. */
function ask(request: MidiRequest): Promise<MidiReply> {
  if (request.bytes.length > MAX_MIDI_BYTES) {
    return Promise.reject(new MidiJobError('format', `MIDI: expected a file of at most ${MAX_MIDI_BYTES} bytes, got ${request.bytes.length}`));
  }
  const worker = new Worker(new URL('./midi-worker.js', import.meta.url));
  return new Promise<MidiReply>((resolve, reject) => {
    worker.once('message', (reply: MidiReply) => {
      if (reply.kind !== 'error') return resolve(reply);
      reject(new MidiJobError(reply.name === 'RangeError' ? 'range' : 'format', reply.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`MIDI worker ended (exit ${code}) before it answered`)));
    worker.postMessage(request);
  }).finally(() => void worker.terminate());
}
