import type { InputStore } from '../procchain/input-store.js';
import { WavConversion } from '../sequencer/wav-conversion.js';
import { versionOf } from './saved-inputs.js';
import type { PcmFormat } from '../base/pcm-format.js';

/** Options of ConvertedInputs. */
export interface ConvertedInputsOptions {
  format: PcmFormat;
  /** Where converted PCM is written (the state directory's spill directory). */
  spillDir: string;
  /** Called once when a conversion starts, and when one stops early (the input ends there). */
  log: (level: 'debug' | 'error', message: string) => void;
}

interface Entry {
  conversion: WavConversion;
  /** What the store was when the conversion started: a write since makes it stale. */
  stamp: string;
  /** The runs waiting on it, poked as converted data arrives. */
  listeners: Set<() => void>;
}

/**
 * Stored WAV inputs converted to the project format once each (into a spill file, by a worker thread) and
 * fed from there on every pass (play, seek, loop wrap, step, export), until the input changes.
 */
export class ConvertedInputs {
  private readonly entries = new Map<InputStore, Entry>();

  constructor(private readonly options: ConvertedInputsOptions) {}

  /**
   * The converted PCM of a WAV store (growing while it converts), and a way to hear of its growth;
   * `unlisten` must be called when the run that fed from it ends. A malformed header throws WavFormatError.
   * `where` is the chain (for messages).
   */
  async get(store: InputStore, where: string, onProgress: () => void): Promise<{ pcm: WavConversion; unlisten: () => void }> {
    const stamp = stampOf(store);
    let entry = this.entries.get(store);
    if (entry && entry.stamp !== stamp) {
      this.entries.delete(store);
      await entry.conversion.dispose();
      entry = undefined;
    }
    if (!entry) {
      const listeners = new Set<() => void>();
      this.options.log('debug', `${where}/in: converting the WAV input to the project format (once, for every pass)`);
      const conversion = await WavConversion.start(store, {
        format: this.options.format, region: { from: 0 }, dir: this.options.spillDir, onProgress: () => listeners.forEach((f) => f()),
      });
      void conversion.whenEnded().then(() => {
        if (conversion.error) this.options.log('error', `${where}/in: ${conversion.error.message}; the chain's input ends there`);
      });
      entry = { conversion, stamp, listeners };
      this.entries.set(store, entry);
    }
    const { listeners } = entry;
    listeners.add(onProgress);
    return { pcm: entry.conversion, unlisten: () => void listeners.delete(onProgress) };
  }

  /** Removes the conversions of stores that are no longer in `kept` (a chain or stage removed, an input replaced). */
  async prune(kept: ReadonlySet<InputStore>): Promise<void> {
    const gone = [...this.entries].filter(([store]) => !kept.has(store));
    for (const [store] of gone) this.entries.delete(store);
    await Promise.all(gone.map(([, e]) => e.conversion.dispose()));
  }

  /** Removes every conversion (unmount). */
  async close(): Promise<void> {
    await this.prune(new Set());
  }
}

/** What identifies a store's contents cheaply: its version (a saved input's) and its size. */
function stampOf(store: InputStore): string {
  return `${versionOf(store)}:${store.size}`;
}
