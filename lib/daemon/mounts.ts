// Finding a FUSE mount at a directory and telling a live one from one whose server died.
import { randomBytes } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { execa } from 'execa';

/** What is mounted at a directory: nothing (of FUSE), a live FUSE mount, a dead one (ENOTCONN), or one that does not answer. */
export type MountState = 'none' | 'live' | 'stale' | 'hung';

/** One line of the mount table. */
export interface MountEntry {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
}

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The mount table: /proc/mounts on Linux, `mount` elsewhere. */
export async function readMounts(): Promise<MountEntry[]> {
  if (process.platform === 'linux') {
    const text = await readFile('/proc/mounts', 'utf8');
    return text.split('\n').filter((l) => l !== '').map((line) => {
      const [source, target, fstype] = line.split(' ');
      return { source: unescape(source), target: unescape(target), fstype };
    });
  }
  const { stdout } = await execa('mount', [], { reject: false });
  return stdout.split('\n').flatMap((line) => {
    const m = /^(.*) on (.*) \(([^,)]+)/.exec(line);
    return m ? [{ source: m[1], target: m[2], fstype: m[3] }] : [];
  });
}

/** The absolute path of a directory as the mount table spells it (its parent resolved; a dead mount cannot be stat'd). */
export async function canonicalMountPath(dir: string): Promise<string> {
  const abs = resolve(dir);
  if (abs === '/') return abs;
  const parent = await realpath(dirname(abs)).catch(() => dirname(abs));
  return join(parent, basename(abs));
}

/** The FUSE mount at `dir`, if any (the last one when several are stacked). */
export async function fuseMountAt(dir: string): Promise<MountEntry | undefined> {
  const target = await canonicalMountPath(dir);
  const found = (await readMounts()).filter((m) => m.target === target && /^(fuse|osxfuse|macfuse)/.test(m.fstype));
  return found[found.length - 1];
}

/**
 * Whether a FUSE mount is at `dir` and, if so, whether its server still answers within `timeoutMs`.
 * The probe looks up a name that cannot exist: the kernel answers a stat of the root from its
 * attribute cache for a while after the server died, but a lookup always reaches the server.
 */
export async function probeMount(dir: string, options: { timeoutMs?: number } = {}): Promise<MountState> {
  if ((await fuseMountAt(dir)) === undefined) return 'none';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hung'>((done) => { timer = setTimeout(() => done('hung'), options.timeoutMs ?? 2000); });
  const probe = stat(join(dir, `.audiofs-probe-${randomBytes(6).toString('hex')}`)).then(
    () => 'live' as const,
    (err: NodeJS.ErrnoException) => (DEAD.has(err.code ?? '') ? 'stale' as const : 'live' as const),
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const DEAD = new Set(['ENOTCONN', 'ECONNABORTED', 'ENXIO']);

/** Detaches the FUSE mount at `dir` even when its server is dead: `fusermount -uz` (macOS: `umount -f`). */
export async function forceUnmount(dir: string): Promise<void> {
  const target = await canonicalMountPath(dir);
  const [cmd, args] = process.platform === 'darwin' ? ['umount', ['-f', target]] : ['fusermount', ['-uz', target]];
  const result = await execa(cmd, args, { reject: false, timeout: 10_000 });
  if (result.exitCode !== 0 && (await fuseMountAt(target)) !== undefined) {
    throw new Error(`${cmd} ${args.join(' ')}: expected exit 0, got ${result.exitCode ?? result.signal}: ${result.stderr.trim()}`);
  }
}
