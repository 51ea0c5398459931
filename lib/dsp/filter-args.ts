import type { PcmFormat } from '../base/pcm-format.js';
import { BiquadFilter, type BiquadKind } from './biquad.js';
import { isNumberArg, parseNumberArg, UsageError } from './cli.js';

const KINDS: Record<string, BiquadKind> = { '-low': 'lowpass', '-high': 'highpass', '-band': 'bandpass' };

/** Builds the filter of an audiofs-filter command line: `-low|-high|-band FREQ [Q]`. */
export function parseFilterArgs(args: string[], format: PcmFormat): BiquadFilter {
  const kind = KINDS[args[0] ?? ''];
  if (!kind) throw new UsageError(`expected -low, -high or -band, got ${args[0] === undefined ? 'nothing' : `'${args[0]}'`}`);
  const freq = parseNumberArg(args[1], `${args[0]} FREQ`);
  const q = args.length > 2 ? parseNumberArg(args[2], `${args[0]} Q`) : undefined;
  if (args.length > 3 || (args.length > 2 && !isNumberArg(args[2]))) {
    throw new UsageError(`expected at most FREQ and Q after ${args[0]}, got '${args.slice(1).join(' ')}'`);
  }
  return new BiquadFilter({ kind, freq, q }, format);
}
