import { killLineage, LINEAGE_VAR, newLineage } from './descendants.js';
import { guardsReady } from './spawn-guard.js';
import { descriptorOf, makePipe, makeSocketPair, unreadBytes } from './kernel-pump.js';
import { spawnMethod, spawnOffThread, SpawningThreadLost, type ProcessExit, type SpawnedProcess } from './spawner.js';
import { closeSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { Bytes } from '../base/units.js';
import { execa, type Options } from 'execa';
import type { Readable, Writable } from 'node:stream';
import { guardedStdio } from './spawn-guard.js';
import { STDERR_PAUSE_MS } from './stderr-limit.js';

/** What to start: an executable by absolute path and its arguments. */
export interface SpawnSpec {
  file: string;
  args: readonly string[];
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Its stdout on a real pipe of (up to) this many bytes instead of Node's socket pair, where the addon can
   * make one (export mode: a stage may run far ahead of its reader, and its reader takes more a read).
   */
  stdoutPipe?: Bytes;
}

/** Where a stage process reports. */
export interface StageProcessEvents {
  /** A chunk of stderr; false asks for a pause in reading it (the stage writes more than is kept). */
  onStderr?: (chunk: Buffer) => boolean | void;
  onExit?: (exit: { exitCode: number | null; signal: string | null }) => void;
  /** audiofs is ending the process while it runs (what the group signals cannot reach ends here). */
  onTerminate?: () => void;
}

/** How long a stage's stderr may stay open after it exited (a descendant holding it) before the exit is reported. */
const STDERR_AFTER_EXIT_MS = 500;

/** A pipe of (up to) `bytes`, where the addon can make one; else the stage's stdout is a socket pair. */
function pipeIfPossible(bytes: Bytes): { read: number; write: number } | undefined {
  try {
    return makePipe(bytes);
  } catch {
    return undefined;
  }
}

/** The least room a read into a slab of pipeReader is given (else the next read starts a new slab). */
const MIN_READ: Bytes = 64 * 1024;

/**
 * A stream of the pipe `fd`, read up to `bytes` at a time: Node reads 64 KiB at a time into a buffer of its own
 * each, 16 reads, buffers and trips through JavaScript for a full pipe of 1 MiB. Here reads fill slabs of
 * `bytes` one after the other (each read gets the rest of the slab, at least MIN_READ), and each chunk handed
 * on is a view of its slab: no copy, and a slab is kept only as long as a chunk of it is.
 */
function pipeReader(fd: number, bytes: Bytes): Socket {
  let slab = Buffer.allocUnsafeSlow(bytes);
  let used = 0;
  const socket: Socket = new Socket({
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer: () => {
        if (bytes - used < MIN_READ) {
          slab = Buffer.allocUnsafeSlow(bytes);
          used = 0;
        }
        return slab.subarray(used);
      },
      // Handed on as Node's own reads are, as 'data' (pause() and resume() stop and start the reads alike).
      callback: (n: number, buf: Uint8Array) => {
        used += n;
        socket.emit('data', (buf as Buffer).subarray(0, n));
        return true;
      },
    },
  } as SocketConstructorOpts);
  return socket;
}

/** A started process as StageProcess takes it: its stdio (audiofs's ends) and its exit. */
interface Child {
  pid: number;
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exit: Promise<ProcessExit>;
}

/** Descriptors of this process for a child's stdio: `ours` (wrapped in streams) and `theirs` (closed once it started). */
interface StdioDescriptors {
  ours: { stdin: number; stdout: number; stderr: number };
  theirs: [number, number, number];
  /** Its stdout is a pipe (else a socket pair). */
  stdoutPipe: boolean;
}

/**
 * Its stdio as descriptors this thread makes (sockets pairs as Node's, stdout a pipe when asked and possible),
 * or undefined where the addon is missing.
 */
function stdioDescriptors(stdoutPipe: Bytes | undefined): StdioDescriptors | undefined {
  const made: number[] = [];
  try {
    const stdin = makeSocketPair();
    if (!stdin) return undefined;
    made.push(...stdin);
    const pipe = stdoutPipe === undefined ? undefined : pipeIfPossible(stdoutPipe);
    const stdout = pipe ?? socketEnds(makeSocketPair()!);
    made.push(stdout.read, stdout.write);
    const stderr = makeSocketPair()!;
    made.push(...stderr);
    return { ours: { stdin: stdin[0], stdout: stdout.read, stderr: stderr[0] }, theirs: [stdin[1], stdout.write, stderr[1]], stdoutPipe: pipe !== undefined };
  } catch (err) {
    for (const fd of made) closeSync(fd);
    throw err;
  }
}

/** A socket pair as the two ends of a pipe (ours reads, theirs writes). */
function socketEnds([ours, theirs]: [number, number]): { read: number; write: number } {
  return { read: ours, write: theirs };
}

/**
 * Starts the process from the spawning thread (spawner.ts) on descriptors made here; undefined where they
 * cannot be made, the thread is switched off or could not run (then startHere). Rejects when it cannot be started.
 */
async function startOffThread(spec: SpawnSpec, env: Record<string, string | undefined>): Promise<Child | undefined> {
  if (spawnMethod() === 'here') return undefined;
  const fds = stdioDescriptors(spec.stdoutPipe);
  if (!fds) return undefined;
  const defined = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  let started: SpawnedProcess;
  try {
    started = await spawnOffThread({ file: spec.file, args: [...spec.args], env: defined, cwd: spec.cwd, stdio: [...fds.theirs, ...guardedStdio().slice(3)] as Array<number | 'ignore'> });
  } catch (err) {
    for (const fd of Object.values(fds.ours)) closeSync(fd);
    // Nothing was started: the calling thread starts it.
    if (err instanceof SpawningThreadLost) return undefined;
    throw new Error(`cannot start ${spec.file}: ${(err as Error).message}`);
  } finally {
    // The child has its own copies (dup2 clears close-on-exec there), or there is no child.
    for (const fd of fds.theirs) closeSync(fd);
  }
  return {
    pid: started.pid,
    stdin: new Socket({ fd: fds.ours.stdin, readable: false, writable: true }),
    stdout: fds.stdoutPipe ? pipeReader(fds.ours.stdout, spec.stdoutPipe!) : new Socket({ fd: fds.ours.stdout, readable: true, writable: false }),
    stderr: new Socket({ fd: fds.ours.stderr, readable: true, writable: false }),
    exit: started.exited,
  };
}

/**
 * Starts the process from this thread with execa, on Node's socket pairs (stdout on a pipe where asked and the
 * addon makes one): the fork and the wait for its exec hold this thread. Rejects when it cannot be started.
 */
async function startHere(spec: SpawnSpec, env: Record<string, string | undefined>): Promise<Child> {
  const pipe = spec.stdoutPipe === undefined ? undefined : pipeIfPossible(spec.stdoutPipe);
  const stdio = guardedStdio();
  if (pipe) stdio[1] = pipe.write as never;
  let child;
  try {
    child = execa(spec.file, [...spec.args], {
      cwd: spec.cwd,
      env,
      extendEnv: false,
      // execa passes descriptor numbers through to child_process (its types only admit them for fd 0-2).
      stdio: stdio as unknown as Options['stdio'],
      buffer: false,
      detached: true,
      reject: false,
      cleanup: false,
      stripFinalNewline: false,
      encoding: 'buffer',
    });
  } catch (err) {
    if (pipe) closeSync(pipe.read);
    throw err;
  } finally {
    // The child has its own copy of the write end, or there is no child.
    if (pipe) closeSync(pipe.write);
  }
  const exit = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.catch(() => undefined);
  if (child.pid === undefined) {
    if (pipe) closeSync(pipe.read);
    const r = await child;
    throw new Error(`cannot start ${spec.file}: ${r.message ?? 'unknown error'}`);
  }
  return { pid: child.pid, stdin: child.stdin!, stdout: pipe ? pipeReader(pipe.read, spec.stdoutPipe!) : child.stdout!, stderr: child.stderr!, exit };
}

/** The life of a stage's process: running, stopped (SIGSTOP), or exited with a code or signal. */
export type ProcessState = 'running' | 'stopped' | 'exited';

/** One stage process, leader of its own process group, with its stdio owned by audiofs. */
export class StageProcess {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  state: ProcessState = 'running';
  /** audiofs asked it to end (so a signal death is expected, not a crash). */
  terminating = false;
  exitCode: number | null = null;
  signal: string | null = null;
  /** Resolves when the process has exited and been reaped. */
  readonly exited: Promise<void>;

  /**
   * What was written to its stdin and it has not read yet (0 exactly when it has read everything);
   * undefined where the system cannot tell.
   */
  stdinUnread(): number | undefined {
    const fd = descriptorOf(this.stdin);
    return fd === undefined ? undefined : unreadBytes(fd);
  }

  private constructor(child: Child, private readonly events: StageProcessEvents) {
    this.pid = child.pid;
    this.stdin = child.stdin;
    this.stdout = child.stdout;
    // A stage that dies makes writes to its stdin fail with EPIPE: that is its exit, reported there.
    this.stdin.on('error', () => undefined);
    this.stdout.on('error', () => undefined);
    const stderr = child.stderr;
    let resume: NodeJS.Timeout | undefined;
    stderr.on('data', (b: Buffer) => {
      if (events.onStderr?.(b) !== false || resume) return;
      // A flood: read it once per pause (the stage waits on its full pipe meanwhile), not as fast as it writes.
      stderr.pause();
      resume = setTimeout(() => {
        resume = undefined;
        stderr.resume();
      }, STDERR_PAUSE_MS);
    });
    stderr.once('close', () => clearTimeout(resume));
    stderr.on('error', () => undefined);
    // The process has exited when it has, not when every holder of its pipes has let go: a descendant
    // that left with setsid may hold stdout for ever.
    this.exited = child.exit.then((exit) => new Promise<ProcessExit>((resolve) => {
      // As Node does for its children: nothing more goes to the stdin of a process that exited.
      this.stdin.destroy();
      // Its last stderr is reported with its exit: wait for the pipe's end, but not for a descendant holding it.
      const timer = setTimeout(done, STDERR_AFTER_EXIT_MS);
      stderr.once('close', done);
      if (stderr.destroyed || stderr.readableEnded) done();
      function done(): void {
        clearTimeout(timer);
        stderr.off('close', done);
        resolve(exit);
      }
    })).then((exit) => this.settle(exit.code, exit.signal, events));
  }

  /** Starts a process in its own process group; rejects when it cannot be started. */
  static async spawn(spec: SpawnSpec, events: StageProcessEvents = {}): Promise<StageProcess> {
    await guardsReady();
    const lineage = newLineage();
    const env = { ...spec.env, [LINEAGE_VAR]: lineage };
    const child = (await startOffThread(spec, env)) ?? (await startHere(spec, env));
    const proc = new StageProcess(child, events);
    proc.lineage = lineage;
    return proc;
  }

  /** What every descendant of this process carries in its environment (LINEAGE_VAR). */
  lineage = '';

  /** SIGSTOP to the whole group (bypass). */
  stop(): void {
    if (this.state !== 'running') return;
    this.signalGroup('SIGSTOP');
    this.state = 'stopped';
  }

  /** SIGCONT to the whole group. */
  cont(): void {
    if (this.state !== 'stopped') return;
    this.signalGroup('SIGCONT');
    this.state = 'running';
  }

  /** Ends the whole group: SIGTERM (and SIGCONT, so a stopped group sees it), SIGKILL after `graceMs`. */
  async terminate(graceMs = 1000): Promise<void> {
    this.terminating = true;
    if (this.state === 'exited') {
      this.signalGroup('SIGKILL');
      await killLineage(this.lineage);
      return;
    }
    this.events.onTerminate?.();
    this.signalGroup('SIGTERM');
    this.signalGroup('SIGCONT');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Whatever the leader left behind goes too: its group, and descendants that left it with setsid.
    this.signalGroup('SIGKILL');
    // Nothing of it holds the pipes open now: what it wrote drains, then its stdout ends.
    await killLineage(this.lineage);
  }

  private settle(exitCode: number | null, signal: string | null, events: StageProcessEvents): void {
    this.state = 'exited';
    this.exitCode = signal ? null : exitCode;
    this.signal = signal;
    events.onExit?.({ exitCode: this.exitCode, signal });
  }

  private signalGroup(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      // the group is already gone
    }
  }
}
