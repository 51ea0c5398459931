import { LiveStream } from '../base/live-stream.js';
import { MemoryInputStore, type InputStore } from './input-store.js';
import type { Stage } from './stage.js';
import type { ChainRun } from './chain-run.js';

/** What a chain's input is taken to be. */
export type InputTypeSetting = 'auto' | 'midi' | 'pcm' | 'wav';

/** A chain: stages in order, its stored input, its output stream and per-chain settings. */
export class Chain {
  readonly name: string;
  stages: Stage[] = [];
  /** NAME/in: stored (or, with `realtime on`, a live input forwarded as it arrives). */
  input: InputStore;
  readonly out = new LiveStream();
  inputType: InputTypeSetting = 'auto';
  /** `realtime on` in NAME/ctl: the input is a live device, forwarded as it arrives. */
  liveInput = false;
  /** Directory permission bits. */
  mode = 0o755;
  run: ChainRun | undefined;

  constructor(name: string, input?: InputStore) {
    this.name = name;
    this.input = input ?? new MemoryInputStore();
  }

  /** The stage of that name. */
  stage(name: string): Stage | undefined {
    return this.stages.find((s) => s.name === name);
  }

  /** The lines that rebuild this chain's stages: `NAME cmd args | cmd args`, or '' for an empty chain. */
  get definition(): string {
    return this.stages.map((s) => s.commandLine).join(' | ');
  }
}
