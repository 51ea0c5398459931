import type { Readable } from 'node:stream';
import { framesToBytes, secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { Frames, Seconds } from '../base/units.js';
import { floatToS16 } from '../dsp/pcm-codec.js';
import type { PcmOutput } from '../dsp/pcm-output.js';
import { MidiStreamParser } from '../midi/stream-parser.js';
import { Synth } from './synth.js';

/** Frames per block in real time: about 5.8 ms at 44.1 kHz. */
export const LIVE_BLOCK: Frames = 256;
/** How far rendering runs ahead of the wall clock. */
const LEAD_BLOCKS = 1;
/** When the reader fell this far behind, the clock is reset instead of catching up in a burst. */
const MAX_BEHIND: Seconds = 0.2;
/** How long the last notes may ring after the input ends. */
const MAX_TAIL: Seconds = 5;

/** Options of runLiveSynth. */
export interface LiveSynthOptions {
  input: Readable;
  output: PcmOutput;
  format: PcmFormat;
  /** Bytes already read from the input (the ones looked at to tell a file from a live stream). */
  initial?: Uint8Array;
  synth?: Synth;
  /** The wall clock in milliseconds (tests may pass their own). */
  now?: () => number;
}

/** Plays a live MIDI byte stream in real time: events apply as they arrive, audio goes out in small blocks paced by the clock. */
export async function runLiveSynth(options: LiveSynthOptions): Promise<void> {
  const { input, output, format } = options;
  const synth = options.synth ?? new Synth({ format });
  const now = options.now ?? (() => performance.now());
  const parser = new MidiStreamParser();
  const apply = (bytes: Uint8Array): void => {
    for (const m of parser.push(bytes)) if (m.kind === 'channel') synth.handle(m.status, m.data1, m.data2);
  };
  if (options.initial) apply(options.initial);
  // The input may have ended already (an empty file, /dev/null): its 'end' came before this listener.
  let ended = input.readableEnded;
  input.on('data', (chunk: Buffer) => apply(chunk));
  input.on('end', () => { ended = true; });
  input.on('error', () => { ended = true; });
  input.resume();

  const n = format.channels;
  const floats = new Float32Array(LIVE_BLOCK * n);
  const blockMs = (LIVE_BLOCK / format.rate) * 1000;
  let start = now();
  let sent: Frames = 0;
  let tailLeft: Frames = secondsToFrames(MAX_TAIL, format);
  for (;;) {
    const due = ((now() - start) / 1000) * format.rate + LEAD_BLOCKS * LIVE_BLOCK;
    if (due - sent > secondsToFrames(MAX_BEHIND, format)) {
      start = now() - (sent / format.rate) * 1000;
      continue;
    }
    while (sent < due) {
      synth.render(floats, LIVE_BLOCK);
      const bytes = Buffer.alloc(framesToBytes(LIVE_BLOCK, format));
      if (!(await output.write(floatToS16(floats, bytes)))) {
        input.destroy();
        return;
      }
      sent += LIVE_BLOCK;
      if (ended) {
        tailLeft -= LIVE_BLOCK;
        if (synth.activeVoices === 0 || tailLeft <= 0) {
          await output.end();
          return;
        }
      }
    }
    const wait = Math.max(1, ((sent - due) / format.rate) * 1000 + blockMs / 2);
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, blockMs)));
  }
}
