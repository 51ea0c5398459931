import { framesToBytes, secondsToFrames, type PcmFormat } from '../base/pcm-format.js';
import type { Frames, Seconds } from '../base/units.js';
import { floatToS16 } from '../dsp/pcm-codec.js';
import type { PcmOutput } from '../dsp/pcm-output.js';
import { mergeTracks, TempoMap, type Smf } from '../midi/smf.js';
import { Synth } from './synth.js';

/** Frames per write when rendering a file (as fast as possible). */
const FILE_BLOCK: Frames = 4096;
/** Longest time the last notes may ring after the final event. */
const MAX_TAIL: Seconds = 10;

/** Options of renderSmf. */
export interface RenderSmfOptions {
  smf: Smf;
  format: PcmFormat;
  output: PcmOutput;
  synth?: Synth;
}

/** Renders a whole MIDI file as fast as possible; each event lands on the frame of its time in the tempo map. */
export async function renderSmf(options: RenderSmfOptions): Promise<void> {
  const { smf, format, output } = options;
  const synth = options.synth ?? new Synth({ format });
  const tempo = TempoMap.fromSmf(smf);
  const n = format.channels;
  const floats = new Float32Array(FILE_BLOCK * n);
  const bytes = Buffer.allocUnsafe(framesToBytes(FILE_BLOCK, format));
  let filled = 0;
  let position: Frames = 0;

  const flush = async (): Promise<boolean> => {
    if (filled === 0) return true;
    const ok = await output.write(Buffer.from(floatToS16(floats.subarray(0, filled * n), bytes)));
    filled = 0;
    return ok;
  };
  const renderTo = async (frame: Frames): Promise<boolean> => {
    while (position < frame) {
      const frames = Math.min(frame - position, FILE_BLOCK - filled);
      synth.render(floats.subarray(filled * n), frames);
      filled += frames;
      position += frames;
      if (filled === FILE_BLOCK && !(await flush())) return false;
    }
    return true;
  };

  for (const e of mergeTracks(smf)) {
    if (e.kind !== 'channel') continue;
    if (!(await renderTo(secondsToFrames(tempo.ticksToSeconds(e.tick), format)))) return;
    synth.handle(e.status, e.data1, e.data2);
  }
  const tailEnd = position + secondsToFrames(MAX_TAIL, format);
  while (synth.activeVoices > 0 && position < tailEnd) {
    if (!(await renderTo(Math.min(tailEnd, position + FILE_BLOCK - filled)))) return;
  }
  if (await flush()) await output.end();
}
