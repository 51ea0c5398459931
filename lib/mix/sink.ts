/** Which output layout a sink takes: the stereo (project-format) mix, or with trace on every source on its own channels. */
export type SinkLayout = 'mix' | 'trace';

/** Where the mix goes: the sound card, an MP3 encoder, /out, a file. */
export interface Sink {
  readonly name: string;
  /**
   * Takes one period of mixed PCM (project format). In realtime mode it must not block the engine:
   * return at once. In export mode the engine awaits the returned promise (backpressure).
   * The sink may keep `pcm`: nobody changes it afterwards, and neither may the sink (it can be a
   * source's own buffer, shared with that chain's taps).
   */
  write(pcm: Buffer): void | Promise<void>;
  /** Flushes and closes (encoders write their last frames). */
  end(): Promise<void>;
  /** The run was stopped before its end: discards what it made (an export file), instead of end(). */
  abort?(): Promise<void>;
  /** 'trace' sinks (/out, exports) get the traced layout while trace is on; absent means 'mix'. */
  readonly layout?: SinkLayout;
  /** Told the engine's mode when the sink is added and whenever it changes: export sinks hold back, realtime sinks drop. */
  setMode?(mode: 'realtime' | 'export'): void;
}
