// How a stage's process is started and how its `sched` lines reach it. Most stages run here. A stage
// whose command is `ssh [OPTIONS] HOST COMMAND...` runs COMMAND on HOST; its sched lines are forwarded by
// running the same instruction on HOST, through ssh with the same options, on every process of the
// remote command. To know those processes, the remote shell first writes a marker line with its own pid
// (sshd makes it the leader of a new session) to stderr; the marker is taken out of the stage's stderr.
import { basename } from 'node:path';
import { execa } from 'execa';
import { guardedStdio } from './spawn-guard.js';
import { applySched, parseSchedLine, type SchedLine } from './sched.js';
import type { StageArgv } from './tokenize.js';

/** Starting a stage's command, and applying sched lines to the process it started. */
export interface Launch {
  /** The arguments to start the stage's executable with. */
  readonly args: readonly string[];
  /** The host the command runs on, for a remote stage. */
  readonly host?: string;
  /** Takes what the process writes on stderr; returns what the stage's `err` and the log get. */
  stderr(chunk: Buffer): Buffer;
  /** What stderr still holds back when the process has exited. */
  flush(): Buffer;
  /** Applies sched lines to the process that was started (`pid`: the local process). */
  sched(pid: number, lines: readonly string[]): Promise<void>;
  /** Ends what the local process group does not hold (the remote command); the group itself is signalled. */
  end(): void;
}

/** ssh options that take an argument (ssh(1), OpenSSH 9). */
const SSH_OPTIONS_WITH_ARGUMENT = new Set('BbcDEeFIiJLlmOopQRSWw');
const MARKER = 'audiofs-remote-pid';
/** The marker line among whole lines of stderr (read as latin1, so that string offsets are byte offsets). */
const MARKER_LINE = new RegExp(`^${MARKER} (\\d+)$`, 'm');
/** How long a sched line waits for a remote stage to report its pid. */
const REMOTE_PID_WAIT_MS = 15_000;
/** How long an instruction run on a stage's host may take. */
const HOST_COMMAND_TIMEOUT_MS = 15_000;

/** An `ssh` command line taken apart: the options, the destination and the remote command. */
export interface SshCommand {
  options: string[];
  destination: string;
  command: string[];
}

/** The parts of an `ssh` command that runs a remote command; undefined for any other command. */
export function parseSsh(argv: StageArgv): SshCommand | undefined {
  if (argv.length === 0 || basename(argv[0]) !== 'ssh') return undefined;
  const options: string[] = [];
  let i = 1;
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    options.push(word);
    // In a cluster such as -qp, the first letter that takes an argument takes the rest of the word or the next word.
    for (let j = 1; j < word.length; j++) {
      if (!SSH_OPTIONS_WITH_ARGUMENT.has(word[j])) continue;
      if (j === word.length - 1 && i + 1 < argv.length) options.push(argv[++i]);
      break;
    }
  }
  const destination = argv[i];
  const command = argv.slice(i + 1);
  if (destination === undefined || command.length === 0) return undefined;
  return { options, destination, command };
}

/** How to start `argv` (resolved to `file`) and forward its sched lines. */
export function launchOf(argv: StageArgv, file: string): Launch {
  const ssh = parseSsh(argv);
  return ssh ? new RemoteLaunch(file, ssh) : localLaunch(argv);
}

function localLaunch(argv: StageArgv): Launch {
  return {
    args: argv.slice(1),
    stderr: (chunk) => chunk,
    flush: () => Buffer.alloc(0),
    sched: applySched,
    end: () => undefined,
  };
}

/** The remote instruction for one sched line, applied to each process id read on its stdin. */
function remoteInstruction(line: SchedLine): string {
  switch (line.kind) {
    case 'nice':
      return `renice -n ${line.value} -p`;
    case 'rt':
      return `chrt ${line.policy === 'fifo' ? '-f' : '-r'} -p ${line.priority}`;
    case 'cpu':
      return `taskset -a -p -c ${line.cpus}`;
  }
}

class RemoteLaunch implements Launch {
  readonly args: readonly string[];
  readonly host: string;
  /** Resolves with the pid of the remote shell (the remote session's id). */
  private readonly remotePid: Promise<number>;
  private foundPid!: (pid: number) => void;
  private found = false;
  private ended = false;
  private partial = Buffer.alloc(0);

  constructor(private readonly file: string, private readonly ssh: SshCommand) {
    this.host = ssh.destination;
    // ssh joins the remote words with spaces for the remote shell: the marker runs first, then the command as written.
    this.args = [...ssh.options, '--', ssh.destination, 'echo', MARKER, '$$', '1>&2;', ...ssh.command];
    this.remotePid = new Promise((resolve) => (this.foundPid = resolve));
  }

  stderr(chunk: Buffer): Buffer {
    if (this.found) return chunk;
    // Until the marker has come, an unfinished line is held back: it may be the start of the marker.
    const text = Buffer.concat([this.partial, chunk]);
    const whole = text.lastIndexOf(0x0a) + 1;
    const m = MARKER_LINE.exec(text.subarray(0, whole).toString('latin1'));
    if (!m) {
      this.partial = text.subarray(whole);
      return text.subarray(0, whole);
    }
    this.found = true;
    this.partial = Buffer.alloc(0);
    this.foundPid(Number(m[1]));
    return Buffer.concat([text.subarray(0, m.index), text.subarray(m.index + m[0].length + 1)]);
  }

  flush(): Buffer {
    const rest = this.partial;
    this.partial = Buffer.alloc(0);
    return rest;
  }

  async sched(_pid: number, lines: readonly string[]): Promise<void> {
    const parsed = lines.map((l) => parseSchedLine(l, 'sched'));
    const pid = await this.pid();
    for (const line of parsed) await this.onHost(`pgrep -s ${pid} | xargs -r -n 1 ${remoteInstruction(line)}`);
  }

  end(): void {
    // Without a terminal, sshd does not signal the remote command when the connection goes: end its session.
    if (!this.found || this.ended) return;
    this.ended = true;
    void this.pid().then((pid) => this.onHost(`pkill -TERM -s ${pid}`)).catch(() => undefined);
  }

  /** The remote shell's pid, once it has reported it. */
  private async pid(): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.remotePid,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${this.host} did not report the remote process id`)), REMOTE_PID_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Runs a shell command line on the stage's host, through ssh with the stage's own options. */
  private async onHost(command: string): Promise<void> {
    const r = await execa(this.file, ['-n', ...this.ssh.options, '--', this.ssh.destination, command], {
      stdio: guardedStdio() as never,
      reject: false,
      timeout: HOST_COMMAND_TIMEOUT_MS,
      // execa's exit cleanup would re-raise a SIGTERM that arrives meanwhile and cut audiofs's own shutdown short.
      cleanup: false,
    });
    if (r.exitCode !== 0) throw new Error(`on ${this.host}: ${String(r.stderr || `exit ${r.exitCode}`).trim()}`);
  }
}
