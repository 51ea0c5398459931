import { PcmOutput } from './pcm-output.js';

/** A bad command line: printed with the program's usage line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What a program tells runProgram about itself. */
export interface ProgramInfo {
  name: string;
  /** The one-line synopsis printed after "usage: ". */
  usage: string;
  /** The full --help text (after the usage line). */
  help: string;
}

/** Runs a program's main: --help prints help (exit 0); UsageError exits 2 with the usage line; EPIPE exits 0. */
export function runProgram(info: ProgramInfo, main: (args: string[], output: PcmOutput) => Promise<void>): void {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: ${info.usage}\n\n${info.help.trimEnd()}\n`);
    return;
  }
  const output = new PcmOutput(process.stdout);
  main(args, output).then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof UsageError || err instanceof RangeError) {
        process.stderr.write(`${info.name}: ${err.message}\nusage: ${info.usage}\n`);
        process.exit(2);
      }
      process.stderr.write(`${info.name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Parses a numeric argument, or throws a UsageError naming what was expected and what was received. */
export function parseNumberArg(text: string | undefined, what: string): number {
  const value = text === undefined || text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${what}: expected a number, got ${text === undefined ? 'nothing' : `'${text}'`}`);
  return value;
}

/** True when an argument is a number (so it is an optional value rather than the next option). */
export function isNumberArg(text: string | undefined): boolean {
  return text !== undefined && text.trim() !== '' && Number.isFinite(Number(text));
}
