import { LiveStream } from '../base/live-stream.js';
import { ByteRing } from './byte-ring.js';
import { MemoryInputStore, type InputStore } from './input-store.js';
import type { Launch } from './launch.js';
import type { StageProcess } from './stage-process.js';
import { formatArgv, type StageArgv } from './tokenize.js';

/** How a stage last ended. */
export interface StageExit {
  exitCode: number | null;
  signal: string | null;
  /** The signal was audiofs's own (stop, rm -r, a restart): the stage was ended, it did not fail. */
  byAudiofs?: boolean;
}

/** Bytes of stderr a stage keeps for its `err` file. */
export const STDERR_KEPT = 64 * 1024;

/** One stage of a chain: a command, its mode (bypass), sched lines, its stored input, taps and stderr. */
export class Stage {
  name: string;
  argv: StageArgv;
  /** The resolved executable. */
  file: string;
  /** Directory permission bits; the stage is bypassed unless the owner may read and write. */
  mode = 0o755;
  sched: string[] = [];
  input: InputStore;
  readonly out = new LiveStream();
  readonly err = new ByteRing(STDERR_KEPT);
  proc: StageProcess | undefined;
  /** How `proc` was started (locally or over ssh), and so how sched lines reach it. */
  launch: Launch | undefined;
  lastExit: StageExit | undefined;

  constructor(options: { name: string; argv: StageArgv; file: string; input?: InputStore }) {
    this.name = options.name;
    this.argv = options.argv;
    this.file = options.file;
    this.input = options.input ?? new MemoryInputStore();
  }

  /** Taken out of the data path (chmod u-rw). */
  get bypassed(): boolean {
    return (this.mode & 0o600) !== 0o600;
  }

  /** The command line as `cmd` reads back. */
  get commandLine(): string {
    return formatArgv(this.argv);
  }

  /** What the stage is doing, for /status. */
  get state(): string {
    if (this.proc && this.proc.state !== 'exited') return this.bypassed ? 'bypassed' : this.proc.state;
    const exit = this.lastExit;
    if (exit) return exit.signal ? (exit.byAudiofs ? `stopped by audiofs (${exit.signal})` : `killed by ${exit.signal}`) : `exited ${exit.exitCode}`;
    return this.bypassed ? 'bypassed, not started' : 'not started';
  }
}
