// Mounts audiofs in a child process (never in the test process: a synchronous call on our own mount
// would deadlock) on a temporary directory, and always unmounts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, appendFile, readFile, writeFile, readlink, opendir, open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { launcherCommand } from '../../lib/cli/launcher.js';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Tiny real programs for tests. */
export const FIXTURE_BIN = join(ROOT, 'fixtures/bin');

/** The command that runs bin/audiofs (this Node, the launcher's options, the launcher); the CLI's arguments follow. */
export const AUDIOFS: readonly string[] = launcherCommand(join(ROOT, 'bin/audiofs'));

export const run = promisify(execFile);

/** A mounted audiofs for one test. */
export interface TestMount {
  dir: string;
  tmp: string;
  proc: ChildProcess;
  /** Appends one line to a ctl file (default /ctl). */
  ctl(line: string, file?: string): Promise<void>;
  /** Path inside the mount. */
  path(...parts: string[]): string;
  /** What the daemon wrote to stderr so far. */
  output(): string;
  /** Unmounts (SIGTERM) and checks the mount is gone; returns the exit code. */
  close(): Promise<number | null>;
}

/**
 * Mounts audiofs on a temporary directory (or `mountpoint`). `inheritFd`: the mount starts with an extra
 * descriptor open at that number, not close-on-exec (a socket), as a user's shell may leave one.
 */
export async function mountAudiofs(options: { args?: string[]; env?: Record<string, string>; path?: string[]; config?: string; mountpoint?: string; inheritFd?: number } = {}): Promise<TestMount> {
  const tmp = await mkdtemp(join(tmpdir(), 'audiofs-test-'));
  // A mount point outside tmp outlives this mount (a new mount on the same directory after a kill).
  const dir = options.mountpoint ?? join(tmp, 'mnt');
  const configFile = join(tmp, 'config.yaml');
  // No sound card and a free HTTP port unless a test asks otherwise (tests run side by side).
  await writeFile(configFile, options.config ?? 'http: 127.0.0.1:0\ndevice: off\n');
  const PATH = [...(options.path ?? []), FIXTURE_BIN, process.env.PATH ?? '/usr/bin:/bin'].join(':');
  const [node, ...launch] = AUDIOFS;
  const proc = spawn(node, [...launch, 'mount', dir, '--config', configFile, ...(options.args ?? [])], {
    cwd: tmp,
    env: { ...process.env, PATH, HOME: tmp, XDG_CONFIG_HOME: join(tmp, 'config'), XDG_STATE_HOME: join(tmp, 'state'), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.inheritFd !== undefined ? [...Array<'ignore'>(options.inheritFd - 3).fill('ignore'), 'pipe' as const] : [])],
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await exists(join(dir, 'ctl'))) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      await run('fusermount', ['-uz', dir]).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
      throw new Error(`audiofs did not mount:\n${out}`);
    }
    await sleep(50);
  }
  let closed: Promise<number | null> | undefined;
  return {
    dir,
    tmp,
    proc,
    path: (...parts) => join(dir, ...parts),
    ctl: (line, file = 'ctl') => appendFile(join(dir, file), `${line}\n`),
    output: () => out,
    close: () => (closed ??= (async () => {
      proc.kill('SIGTERM');
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        proc.kill('SIGKILL');
      }, 15_000);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) {
        const how = killed ? 'did not end within 15 s of SIGTERM' : `ended with ${code ?? proc.signalCode}`;
        console.error(`audiofs at ${dir} ${how}; its output:\n${out.slice(-4000)}`);
      }
      const mounts = await readFile('/proc/mounts', 'utf8');
      const still = mounts.includes(` ${dir} `);
      if (still) await run('fusermount', ['-uz', dir]).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
      if (still) throw new Error(`the mount at ${dir} was still there after audiofs exited (${code})`);
      return code;
    })()),
  };
}

/** Whether a path exists (async: never a synchronous call near a mount). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `f` until it returns a truthy value (or throws after `ms`). */
export async function waitFor<T>(f: () => Promise<T> | T, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Whether a process exists (and is not a zombie). */
export async function alive(pid: number): Promise<boolean> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(s);
  } catch {
    return false;
  }
}

/** The pids of processes whose environment says they are clients of a mount (AUDIOFS_CHAIN set, under `tmp`). */
export async function clientsOf(tmp: string): Promise<number[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=']);
  const pids: number[] = [];
  for (const p of stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0)) {
    const env = await readFile(`/proc/${p}/environ`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${p}/cwd`).catch(() => '');
    if (env.includes('AUDIOFS_CHAIN=') && cwd.startsWith(tmp) && (await alive(p))) pids.push(p);
  }
  return pids;
}

/** Runs a plain shell pipeline (the oracle) with a file on stdin and returns its stdout. */
export async function pipeline(command: string, input: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('sh', ['-c', `exec < '${input}'; ${command}`], {
    encoding: 'buffer',
    maxBuffer: 1 << 30,
    env: { ...process.env, PATH: `${FIXTURE_BIN}:${process.env.PATH}` },
  });
  return stdout as unknown as Buffer;
}

/** A raw s16le stereo 44.1 kHz file made by sox: `spec` is sox synth arguments. */
export async function soxSignal(dir: string, name: string, spec: string[]): Promise<string> {
  const file = join(dir, name);
  await run('sox', ['-D', '-q', '-n', '-t', 'raw', '-r', '44100', '-e', 'signed', '-b', '16', '-c', '2', file, 'synth', ...spec]);
  return file;
}

/** Directory entries in the order the file system gives them (fs.readdir sorts; opendir does not). */
export async function entriesInOrder(path: string): Promise<string[]> {
  const names: string[] = [];
  for await (const d of await opendir(path)) names.push(d.name);
  return names;
}

/**
 * Opens a live file now and reads it to end of file in the background: the reader takes part from the
 * moment open() returns, so start it before `play` (a plain readFile() may open after play began).
 */
export async function openReader(path: string): Promise<{ all: Promise<Buffer> }> {
  const handle = await open(path, 'r');
  const all = (async () => {
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  })();
  return { all };
}

/**
 * Opens a live file of the mount now and reads it until `bytes` have come, then stops; `data` rejects
 * after `ms` (a hang, not a speed figure: give a loaded machine room) saying how many bytes came.
 */
export async function openBytes(path: string, bytes: number, ms: number): Promise<{ data: Promise<Buffer> }> {
  const s = createReadStream(path, { highWaterMark: 16384 });
  await new Promise<void>((resolve, reject) => { s.once('open', () => resolve()); s.once('error', reject); });
  const data = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const finish = (how: () => void) => { clearTimeout(timer); s.destroy(); how(); };
    const timer = setTimeout(() => finish(() => reject(new Error(`read ${n} of ${bytes} bytes of ${path} in ${ms} ms`))), ms);
    s.on('data', (c) => {
      chunks.push(c as Buffer);
      n += c.length;
      if (n >= bytes) finish(() => resolve(Buffer.concat(chunks).subarray(0, bytes)));
    });
    s.on('end', () => finish(() => reject(new Error(`${path} ended after ${n} of ${bytes} bytes`))));
    s.on('error', (err) => finish(() => reject(err)));
  });
  return { data };
}
