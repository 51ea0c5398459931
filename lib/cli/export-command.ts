import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import cliProgress from 'cli-progress';
import { bytesPerSecond } from '../base/pcm-format.js';
import { loadConfig } from '../config/load-config.js';
import { quoteWord } from '../procchain/tokenize.js';
import type { Project } from '../studio/project.js';
import { serve } from '../vfs/serve.js';

const exec = promisify(execFile);

/** What `audiofs export` needs. */
export interface ExportCommandOptions {
  archive: string;
  out: string;
  /** The config whose format (rate, channels, period) the render uses; its outputs are turned off. */
  configFile?: string;
  /** Where the progress bar goes (shown only when it is a terminal). */
  progress?: NodeJS.WriteStream;
}

/**
 * audiofs export PROJECT.tar OUT: mounts a private temporary mount, extracts the archive into it
 * (without its /config), runs `export OUT` through the project and waits for it: the same bytes as
 * `echo 'export OUT' >> ctl` in a mount of the same project.
 */
export async function exportCommand(options: ExportCommandOptions): Promise<number> {
  const archive = resolve(options.archive);
  const out = resolve(options.out);
  const tmp = await mkdtemp(join(tmpdir(), 'audiofs-export-'));
  const mountpoint = join(tmp, 'mnt');
  const { config } = await loadConfig(options.configFile, { mountDir: mountpoint });
  const served = await serve({
    mountpoint,
    config: { ...config, stateDir: join(tmp, 'state'), device: 'off', http: null, mp3: [], icecast: null, collect: false, allowOther: false },
  });
  try {
    await exec('tar', ['xf', archive, '--exclude=./config', '-C', mountpoint]).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`tar xf ${archive}: expected a project archive, got: ${(err.stderr || err.message).trim()}`);
    });
    const project = served.project;
    await project.execRootLine(`export ${quoteWord(out)}`);
    await waitForExport(project, options.progress);
    const job = project.transport.exportJob!;
    if (job.state === 'failed') throw new Error(`export ${out}: ${job.error ?? 'failed'}`);
    return 0;
  } finally {
    await served.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Waits for the export to finish, drawing a bar (seconds rendered of the longest PCM input) on a terminal. */
async function waitForExport(project: Project, stream: NodeJS.WriteStream | undefined): Promise<void> {
  const bar = stream?.isTTY ? new cliProgress.SingleBar({
    stream,
    format: 'export [{bar}] {value}/{total} s',
    hideCursor: true,
  }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(Math.max(1, Math.ceil(estimateSeconds(project))), 0);
  for (;;) {
    const job = project.transport.exportJob;
    if (!job || job.state !== 'rendering') break;
    const seconds = Number((project.transport.status().export as { seconds?: number } | undefined)?.seconds ?? 0);
    if (bar && seconds > bar.getTotal()) bar.setTotal(Math.ceil(seconds));
    bar?.update(Math.floor(seconds));
    await sleep(100);
  }
  if (bar) {
    bar.update(bar.getTotal());
    bar.stop();
  }
}

/** The longest stored input in seconds (as raw PCM): a guess at the render's length. */
function estimateSeconds(project: Project): number {
  const bps = bytesPerSecond(project.options.format);
  let longest = 0;
  for (const chain of project.chains.values()) {
    for (const store of [chain.input, ...chain.stages.map((s) => s.input)]) longest = Math.max(longest, store.size / bps);
  }
  return longest;
}
