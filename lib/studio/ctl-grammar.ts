import { AudiofsError } from '../base/errors.js';
import type { Seconds } from '../base/units.js';
import { stagesOf, tokenize, type StageArgv } from '../procchain/tokenize.js';
import { checkName, printable, ROOT_FILES } from './names.js';

/** One command of /ctl. */
export type RootCommand =
  | { verb: 'play' | 'stop' | 'pause' }
  | { verb: 'seek'; at: Seconds }
  | { verb: 'loop'; region: { from: Seconds; to: Seconds } | null }
  | { verb: 'steps'; bars: number }
  | { verb: 'step'; n: number }
  | { verb: 'realtime' | 'collect' | 'trace'; on: boolean }
  | { verb: 'export'; file: string; region: { from: Seconds; to: Seconds } | null }
  | { verb: 'chain'; name: string; stages: StageArgv[] };

/** One command of NAME/ctl. */
export type ChainCommand =
  | { verb: 'play' | 'stop' | 'restart' }
  | { verb: 'realtime'; on: boolean }
  | { verb: 'type'; type: InputTypeSetting };

/** What a chain's input is taken to be. */
export type InputTypeSetting = 'auto' | 'midi' | 'pcm' | 'wav';

const ROOT_VERBS = 'play, stop, pause, seek T, loop A B, loop off, steps BARS, step N, realtime on|off, export FILE [A B], collect on|off, trace on|off';
const CHAIN_VERBS = 'play, stop, restart, realtime on|off, type midi|pcm|wav|auto';

/** Parses one line written to /ctl. */
export function parseRootLine(line: string, where = '/ctl'): RootCommand {
  const tokens = tokenize(line, where);
  const [verb, ...args] = tokens.map((t) => t.word);
  const bad = (why: string): never => {
    throw new AudiofsError('EINVAL', 'write', where, `'${printable(line)}': ${why}`);
  };
  const none = () => { if (args.length > 0) bad(`${verb} takes no arguments (got '${args.join(' ')}')`); };
  switch (verb) {
    case undefined:
      return bad(`empty line (expected ${ROOT_VERBS} or 'NAME cmd args | cmd args ...')`);
    case 'play': case 'stop': case 'pause':
      none();
      return { verb };
    case 'seek':
      if (args.length !== 1) bad(`seek takes one time in seconds (expected 'seek T')`);
      return { verb, at: seconds(args[0], bad) };
    case 'loop':
      if (args.length === 1 && args[0] === 'off') return { verb, region: null };
      if (args.length !== 2) bad(`expected 'loop A B' (seconds) or 'loop off'`);
      return { verb, region: region(args[0], args[1], bad) };
    case 'steps':
      if (args.length !== 1) bad(`expected 'steps BARS' (a whole number of bars per step)`);
      return { verb, bars: positiveInt(args[0], 'BARS', bad) };
    case 'step':
      if (args.length !== 1) bad(`expected 'step N' (a step number from 1)`);
      return { verb, n: positiveInt(args[0], 'N', bad) };
    case 'realtime': case 'collect': case 'trace':
      return { verb, on: onOff(verb, args, bad) };
    case 'export':
      if (args.length !== 1 && args.length !== 3) bad(`expected 'export FILE' or 'export FILE A B' (seconds)`);
      return { verb, file: args[0], region: args.length === 3 ? region(args[1], args[2], bad) : null };
    default:
      break;
  }
  if (tokens[0].pipe) bad(`a chain line starts with its name (expected 'NAME cmd args | cmd args ...')`);
  if (tokens.length === 1) {
    bad(`unknown verb '${printable(verb)}' (expected ${ROOT_VERBS}, or 'NAME cmd args | cmd args ...' to make a chain)`);
  }
  checkName(verb, 'chain', where, ROOT_FILES);
  return { verb: 'chain', name: verb, stages: stagesOf(tokens.slice(1), printable(line), where) };
}

/** Parses one line written to NAME/ctl. */
export function parseChainLine(line: string, where: string): ChainCommand {
  const [verb, ...args] = tokenize(line, where).map((t) => t.word);
  const bad = (why: string): never => {
    throw new AudiofsError('EINVAL', 'write', where, `'${printable(line)}': ${why}`);
  };
  switch (verb) {
    case 'play': case 'stop': case 'restart':
      if (args.length > 0) bad(`${verb} takes no arguments (got '${args.join(' ')}')`);
      return { verb };
    case 'realtime':
      return { verb, on: onOff(verb, args, bad) };
    case 'type':
      if (args.length !== 1 || !['auto', 'midi', 'pcm', 'wav'].includes(args[0])) bad(`expected 'type midi', 'type pcm', 'type wav' or 'type auto'`);
      return { verb, type: args[0] as InputTypeSetting };
    default:
      return bad(`unknown verb '${printable(verb ?? '')}' (expected ${CHAIN_VERBS})`);
  }
}

/** The latest time a ctl line may name: past it, frame counts are no longer exact integers. */
const MAX_SECONDS: Seconds = 1e9;

function seconds(word: string, bad: (why: string) => never): Seconds {
  const v = Number(word);
  if (word === '' || !Number.isFinite(v) || v < 0) bad(`'${word}' is not a time (expected seconds >= 0, e.g. 12.5)`);
  if (v > MAX_SECONDS) bad(`'${word}' is too late (expected seconds from 0 to ${MAX_SECONDS})`);
  return v;
}

function region(a: string, b: string, bad: (why: string) => never): { from: Seconds; to: Seconds } {
  const from = seconds(a, bad);
  const to = seconds(b, bad);
  if (to <= from) bad(`region ${a}..${b} is empty (expected A < B)`);
  return { from, to };
}

function positiveInt(word: string, what: string, bad: (why: string) => never): number {
  const v = Number(word);
  if (!/^\d+$/.test(word) || v < 1) bad(`${what} '${word}' is not a whole number >= 1`);
  return v;
}

function onOff(verb: string, args: string[], bad: (why: string) => never): boolean {
  if (args.length !== 1 || (args[0] !== 'on' && args[0] !== 'off')) bad(`expected '${verb} on' or '${verb} off'`);
  return args[0] === 'on';
}
