// The worker thread that parses and slices MIDI files and finds their bars, off the thread that serves FUSE.
// One request in ('slice' or 'step'), one reply out: the result, or the error's kind and message.
import { parentPort } from 'node:worker_threads';
import { readSmf } from '../midi/smf.js';
import { midiBars, stepRegion, type Region } from './bars.js';
import { sliceMidi } from './midi-slice.js';
import type { Seconds } from '../base/units.js';

/** What the main thread asks. */
export type MidiRequest =
  | { kind: 'slice'; bytes: Uint8Array; from: Seconds; to?: Seconds }
  | { kind: 'step'; bytes: Uint8Array; barsPerStep: number; n: number };

/** What the worker answers. */
export type MidiReply =
  | { kind: 'slice'; bytes: Uint8Array }
  | { kind: 'step'; region: Region }
  | { kind: 'error'; name: string; message: string };

parentPort!.once('message', (request: MidiRequest) => {
  let reply: MidiReply;
  try {
    reply = request.kind === 'slice'
      ? { kind: 'slice', bytes: sliceMidi(request.bytes, { from: request.from, to: request.to }) }
      : { kind: 'step', region: stepRegion(midiBars(readSmf(request.bytes)), request.barsPerStep, request.n) };
  } catch (err) {
    reply = { kind: 'error', name: (err as Error).name, message: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
