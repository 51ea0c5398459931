import { bytesPerSecond, type PcmFormat } from '../base/pcm-format.js';
import type { Seconds } from '../base/units.js';
import type { Chain } from '../procchain/chain.js';
import type { InputStore } from '../procchain/input-store.js';
import { songBars, stepRegion, type Region } from '../sequencer/bars.js';
import { MAX_MIDI_BYTES, MidiJobError, stepRegionOffThread } from '../sequencer/midi-jobs.js';
import { parseWavHeader, wavSeconds } from '../sequencer/wav-header.js';
import { inputTypeOf } from './input-feed.js';

/**
 * The region of step `n` of a song cut into steps of `barsPerStep` bars: the bars come from the first MIDI
 * input's time signatures and tempo map (found by a worker thread), else 4/4 at 120 BPM over the longest
 * input. A step out of range throws a MidiJobError of kind 'range' or a RangeError; an unreadable MIDI
 * input an Error that names its chain.
 */
export async function songStepRegion(chains: Chain[], format: PcmFormat, barsPerStep: number, n: number): Promise<Region> {
  let longest = 0;
  for (const chain of chains) {
    for (const store of [chain.input, ...chain.stages.map((s) => s.input)]) {
      if (store.size === 0) continue;
      const type = await inputTypeOf(store, chain.inputType);
      if (type !== 'midi') {
        longest = Math.max(longest, type === 'wav' ? await storedWavSeconds(store) : store.size / bytesPerSecond(format));
        continue;
      }
      try {
        // Past the size limit, only enough is read for the worker to refuse it.
        return await stepRegionOffThread(await store.read(0, Math.min(store.size, MAX_MIDI_BYTES + 1)), barsPerStep, n);
      } catch (err) {
        if (err instanceof MidiJobError && err.kind === 'range') throw err;
        throw new Error(`the bars come from /${chain.name}'s MIDI input, which cannot be read: ${(err as Error).message}`);
      }
    }
  }
  return stepRegion(songBars(longest), barsPerStep, n);
}

/** The duration of a stored WAV input by its header (0 when the header cannot be read). */
async function storedWavSeconds(store: InputStore): Promise<Seconds> {
  try {
    const header = parseWavHeader(await store.read(0, Math.min(store.size, 1 << 20)));
    return header ? wavSeconds(header, store.size) : 0;
  } catch {
    return 0;
  }
}
