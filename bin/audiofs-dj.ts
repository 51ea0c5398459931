// audiofs-dj: an endless radio that mixes the tracks named on stdin with beat-matched transitions (DESIGN.md section 6).
import { createInterface } from 'node:readline';
import { formatFromEnv } from '../lib/base/pcm-format.js';
import { AnalysisCache, cacheDirectory } from '../lib/dj/analysis-cache.js';
import { HELP, parseDjArgs, USAGE, UsageError } from '../lib/dj/cli-args.js';
import { loadTrack } from '../lib/dj/load-track.js';
import { runRadio } from '../lib/dj/radio.js';
import { TrackQueue } from '../lib/dj/track-queue.js';

async function main(): Promise<number> {
  let args;
  let format;
  try {
    args = parseDjArgs(process.argv.slice(2));
    format = formatFromEnv();
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof Error)) throw err;
    process.stderr.write(`audiofs-dj: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const cache = new AnalysisCache(cacheDirectory({ env: process.env, cacheOption: args.cache }));
  if (args.analyze) {
    try {
      const track = await loadTrack(args.analyze, { format, cache });
      // A pipe takes 64 KiB at once: exit only when all of it has been written.
      const json = `${JSON.stringify({ file: args.analyze, cached: track.cached, ...track.analysis })}\n`;
      await new Promise<void>((resolve, reject) => process.stdout.write(json, (err) => (err ? reject(err) : resolve())));
      return 0;
    } catch (err) {
      process.stderr.write(`audiofs-dj: ${(err as Error).message}\n`);
      return 1;
    }
  }
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`audiofs-dj: stdout: ${err.message}\n`);
    process.exit(1);
  });
  const queue = new TrackQueue();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => queue.push(line));
  lines.on('close', () => queue.close());
  const write = (chunk: Buffer): Promise<void> =>
    new Promise((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve)));
  await runRadio({ queue, write, log: (line) => process.stderr.write(`${line}\n`) }, { ...args, format, cache });
  await new Promise<void>((resolve) => process.stdout.end(resolve));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audiofs-dj: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
