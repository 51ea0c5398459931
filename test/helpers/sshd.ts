// A real OpenSSH server on loopback for tests of remote stages: its own host key, one client key
// authorised for the current user, no PAM, and nothing outside a temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { run, sleep } from './mount.js';

/** A running sshd and the ssh options that reach it. */
export interface TestSshd {
  /** Options for `ssh` (before the destination). */
  options: string[];
  /** The destination: user@127.0.0.1. */
  destination: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'audiofs-sshd-'));
  await mkdir('/run/sshd', { recursive: true }); // sshd's privilege separation directory
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')));
  const port = await freePort();
  await writeFile(join(dir, 'sshd_config'), [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PidFile none',
    'LogLevel ERROR',
    '',
  ].join('\n'));
  const sshd: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  sshd.stderr!.on('data', (b: Buffer) => (errors += b.toString()));
  const exited = new Promise<void>((r) => sshd.once('exit', () => r()));
  const options = [
    '-F', '/dev/null', '-i', join(dir, 'client_key'), '-p', String(port),
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
  ];
  const destination = `${userInfo().username}@127.0.0.1`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await run('ssh', ['-n', ...options, destination, 'true']).then(() => true, () => false);
    if (ok) break;
    if (sshd.exitCode !== null || Date.now() > deadline) {
      sshd.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`sshd did not start: ${errors}`);
    }
    await sleep(100);
  }
  return {
    options,
    destination,
    close: async () => {
      sshd.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
