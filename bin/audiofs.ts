// The audiofs command line: mount (foreground), start|stop|restart|status (daemon), export.
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportCommand } from '../lib/cli/export-command.js';
import { restartCommand, startCommand, statusCommand, stopCommand } from '../lib/cli/daemon-commands.js';
import { loadConfig } from '../lib/config/load-config.js';
import { serve } from '../lib/vfs/serve.js';

const USAGE = `usage: audiofs mount DIR [--config FILE] [--debug]
       audiofs start|stop|restart|status DIR [--config FILE]
       audiofs export PROJECT.tar OUT [--config FILE]
       audiofs --help`;

const HELP = `audiofs: a FUSE filesystem that makes a directory into an audio studio driven by shell tools.

${USAGE}

  mount DIR      mount in the foreground; SIGINT, SIGTERM or SIGHUP unmounts cleanly and ends every client
                 (so does fusermount -u DIR, or umount DIR)
  start DIR      mount as a daemon (pid and log files in the state directory)
  stop DIR       unmount the daemon cleanly
  restart DIR    stop, then start
  status DIR     whether a daemon serves DIR, its pid, chains and transport (exit 3: not running)
  export P.tar OUT  render a project archive to OUT (.wav, .mp3, .raw) without a mount

  --config FILE  the YAML configuration (default ~/.config/audiofs/config.yaml)
  --debug        trace every FUSE operation and every spawned command line

Inside the mount: echo 'NAME cmd args | cmd args' >> ctl makes a chain; echo play >> ctl plays.
See the README for the file tree and the ctl grammar.`;

/** bin/audiofs (the launcher: the mount's V8 flag, the libuv pool), what the daemon runs, as itself. */
const LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), '../../bin/audiofs');

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string' }, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`audiofs: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  switch (command) {
    case 'mount':
      if (rest.length !== 1) return usage('mount takes one directory');
      return mountForeground(rest[0], { debug: values.debug ?? false, configFile: values.config });
    case 'export':
      if (rest.length !== 2) return usage('export takes an archive and an output file');
      return exportCommand({ archive: rest[0], out: rest[1], configFile: values.config, progress: process.stderr });
    case 'start': case 'stop': case 'restart': case 'status': {
      if (rest.length !== 1) return usage(`${command} takes one directory`);
      const options = { dir: rest[0], configFile: values.config, launcher: LAUNCHER, out: (t: string) => process.stdout.write(t) };
      const run = { start: startCommand, stop: stopCommand, restart: restartCommand, status: statusCommand }[command];
      return run(options);
    }
    default:
      return usage(command === undefined ? 'a command is needed' : `unknown command '${command}'`);
  }
}

function usage(why: string): number {
  process.stderr.write(`audiofs: ${why}\n${USAGE}\n`);
  return 2;
}

/** An internal error must never take the mount (and every client) down: it is logged and the mount serves on. */
function keepServing(log: (line: string) => void): void {
  process.on('unhandledRejection', (err) => log(`audiofs: internal error (the mount serves on): ${(err as Error)?.stack ?? String(err)}\n`));
  process.on('uncaughtException', (err) => log(`audiofs: internal error (the mount serves on): ${err.stack ?? String(err)}\n`));
}

async function mountForeground(dir: string, options: { debug: boolean; configFile?: string }): Promise<number> {
  const mountDir = resolve(dir);
  // When whoever reads our stderr goes away (a closed terminal, a killed parent), writes fail with EPIPE:
  // the mount serves on and /log keeps every line.
  process.stderr.on('error', () => undefined);
  keepServing((line) => process.stderr.write(line));
  // Listening before the mount exists: a signal that comes while it starts unmounts it once it is up.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
  });
  const { config, file, found } = await loadConfig(options.configFile, { mountDir });
  const served = await serve({
    mountpoint: mountDir,
    config,
    configFile: found ? file : undefined,
    debug: options.debug,
    echo: (line) => process.stderr.write(line),
  });
  await Promise.race([stopped, served.takenAway]);
  await served.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`audiofs: ${err.message}\n`);
    process.exit(1);
  },
);
