import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';

/** A free loopback port (listen on 0, close, reuse the number). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every icecast2 a test started and has not killed: killed when the test process exits, however it ends. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** A real icecast2 on loopback, with its config and logs in `dir` (whose parent it makes traversable: as root icecast runs as nobody). */
export class IcecastServer {
  private child: ChildProcess | undefined;
  constructor(readonly dir: string, readonly port: number, readonly password: string) {
    chmodSync(dirname(dir), 0o711);
    mkdirSync(join(dir, 'log'), { recursive: true });
    mkdirSync(join(dir, 'web'), { recursive: true });
    chmodSync(dir, 0o777);
    chmodSync(join(dir, 'log'), 0o777);
    writeFileSync(join(dir, 'icecast.xml'), `<icecast>
  <limits><clients>10</clients><sources>2</sources><source-timeout>10</source-timeout><burst-size>0</burst-size></limits>
  <authentication><source-password>${password}</source-password><admin-user>admin</admin-user><admin-password>${password}x</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>${port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <paths><basedir>${dir}</basedir><logdir>${dir}/log</logdir><webroot>${dir}/web</webroot><adminroot>${dir}/web</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>${process.getuid?.() === 0 ? '<changeowner><user>nobody</user><group>nogroup</group></changeowner>' : ''}</security>
</icecast>
`);
  }

  /** Starts icecast2 and resolves once it accepts connections. */
  async start(): Promise<void> {
    const child = spawn('icecast2', ['-c', join(this.dir, 'icecast.xml')], { stdio: 'ignore' });
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(this.port, '127.0.0.1', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.kill();
    throw new Error(`icecast2 did not listen on 127.0.0.1:${this.port} within 10 s`);
  }

  /** Kills icecast2 and waits for it to exit. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}
