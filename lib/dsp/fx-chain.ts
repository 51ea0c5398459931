import type { PcmFormat } from '../base/pcm-format.js';
import type { BlockProcessor } from './block-processor.js';
import { Echo } from './echo.js';
import { Freeverb } from './freeverb.js';
import { Gain } from './gain.js';
import { Pan } from './pan.js';
import { isNumberArg, parseNumberArg, UsageError } from './cli.js';

/** The effects audiofs-fx knows, as written on its command line. */
export const FX_NAMES = ['-echo', '-gain', '-reverb', '-pan'] as const;

/** Builds the effects of an audiofs-fx command line, in the order given (e.g. `-gain -6 -echo 0.3 0.4`). */
export function parseFxChain(args: string[], format: PcmFormat): BlockProcessor[] {
  if (args.length === 0) throw new UsageError(`expected at least one effect (${FX_NAMES.join(', ')}), got none`);
  const chain: BlockProcessor[] = [];
  for (let i = 0; i < args.length; ) {
    const name = args[i++];
    const optional = (): number | undefined => (isNumberArg(args[i]) ? Number(args[i++]) : undefined);
    switch (name) {
      case '-echo': {
        const delay = parseNumberArg(args[i++], '-echo SECONDS');
        chain.push(new Echo({ delay, feedback: optional() }, format));
        break;
      }
      case '-gain':
        chain.push(new Gain(parseNumberArg(args[i++], '-gain DB'), format));
        break;
      case '-reverb':
        chain.push(new Freeverb({ room: optional() }, format));
        break;
      case '-pan':
        chain.push(new Pan(parseNumberArg(args[i++], '-pan P'), format));
        break;
      default:
        throw new UsageError(`unknown effect '${name}' (expected ${FX_NAMES.join(', ')})`);
    }
  }
  return chain;
}
