/** Which channels of the traced output carry one source (for /channels). */
export interface ChannelAssignment {
  readonly name: string;
  /** Zero-based channel numbers in the traced output. */
  readonly channels: readonly number[];
}

/** The channel map of the traced output: source i occupies channels i*C .. i*C+C-1. */
export function traceChannelMap(names: readonly string[], channelsPerSource: number): ChannelAssignment[] {
  return names.map((name, i) => ({
    name,
    channels: Array.from({ length: channelsPerSource }, (_, c) => i * channelsPerSource + c),
  }));
}

/** The text of /channels: one line per source, `NAME CH CH ...` with 1-based channel numbers as sox counts them. */
export function formatChannelMap(map: readonly ChannelAssignment[]): string {
  return map.map((a) => `${a.name} ${a.channels.map((c) => c + 1).join(' ')}\n`).join('');
}
