import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { alive, AUDIOFS, clientsOf, FIXTURE_BIN, waitFor } from '../helpers/mount.js';

const exec = promisify(execFile);

/** Runs the audiofs CLI; resolves with its exit code and output even when it fails. */
async function audiofs(tmp: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(AUDIOFS[0], [...AUDIOFS.slice(1), ...args], {
      cwd: tmp,
      env: { ...process.env, HOME: tmp, PATH: `${FIXTURE_BIN}:${process.env.PATH}` },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function mounted(dir: string): Promise<boolean> {
  return (await readFile('/proc/mounts', 'utf8')).includes(` ${dir} `);
}

test('start, stop, start: the project is back; SIGKILL then start: back again; status says what runs; stop leaves nothing', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'audiofs-daemon-'));
  const dir = join(tmp, 'mnt');
  const config = join(tmp, 'config.yaml');
  const stateDir = join(tmp, 'state');
  await writeFile(config, `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${stateDir}\n`);
  const cli = (cmd: string) => audiofs(tmp, cmd, dir, '--config', config);
  try {
    const t0 = Date.now();
    const started = await cli('start');
    const readyMs = Date.now() - t0;
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(started.stdout.trim());
    assert.ok(pid > 0 && (await alive(pid)), `start printed a live pid (got '${started.stdout}')`);
    assert.equal((await readFile(join(stateDir, 'audiofs.pid'), 'utf8')).trim(), String(pid));
    assert.ok(readyMs < 5000, `start took ${readyMs} ms`);
    await appendFile(join(dir, 'ctl'), 'tone audiofs-tone 440 | passthrough\n');
    await appendFile(join(dir, 'tone/mixer'), 'volume 0.25\n');
    await writeFile(join(dir, 'comments'), 'daemon take\n');

    const status = await cli('status');
    assert.equal(status.code, 0);
    assert.deepEqual(status.stdout.split('\n').filter((l) => /^(running|pid|transport|chain)/.test(l)), [
      'running', `pid: ${pid}`, 'transport: stopped (realtime) at 0 s', 'chain tone: idle: audiofs-tone not started, passthrough not started',
    ]);

    // Play, so stop has clients to end.
    await appendFile(join(dir, 'ctl'), 'play\n');
    await waitFor(async () => (await clientsOf(tmp)).length === 2, 'two clients');
    const stop = await cli('stop');
    assert.deepEqual(stop, { code: 0, stdout: `stopped ${pid}\n`, stderr: '' });
    assert.equal(await alive(pid), false);
    assert.equal(await mounted(dir), false);
    assert.deepEqual(await clientsOf(tmp), []);
    assert.deepEqual(await cli('status'), { code: 3, stdout: `not running\nstate: ${stateDir}\n`, stderr: '' });
    const log = await readFile(join(stateDir, 'audiofs.log'), 'utf8');
    assert.equal(log.split('\n').filter((l) => l.includes('chain tone made')).length, 1, 'each log line once (no doubling)');

    const again = await cli('start');
    assert.equal(again.code, 0, again.stderr);
    const pid2 = Number(again.stdout.trim());
    assert.equal(await readFile(join(dir, 'ctl'), 'utf8'), 'tone audiofs-tone 440 | passthrough\n');
    assert.equal(await readFile(join(dir, 'tone/mixer'), 'utf8'), 'volume 0.25\npan 0\nmute off\nsolo off\n');
    assert.equal(await readFile(join(dir, 'comments'), 'utf8'), 'daemon take\n');

    process.kill(pid2, 'SIGKILL');
    await waitFor(async () => !(await alive(pid2)), 'the daemon to die');
    const third = await cli('start');
    assert.equal(third.code, 0, third.stderr);
    assert.equal(await readFile(join(dir, 'ctl'), 'utf8'), 'tone audiofs-tone 440 | passthrough\n');
    assert.equal(await readFile(join(dir, 'comments'), 'utf8'), 'daemon take\n');

    const restarted = await cli('restart');
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.notEqual(Number(restarted.stdout.trim()), Number(third.stdout.trim()));
    assert.equal(await readFile(join(dir, 'ctl'), 'utf8'), 'tone audiofs-tone 440 | passthrough\n');
    assert.equal((await cli('stop')).code, 0);
    assert.equal(await mounted(dir), false);
  } finally {
    await audiofs(tmp, 'stop', dir, '--config', config);
    if (await mounted(dir)) await exec('fusermount', ['-uz', dir]).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
});

test('status, restart and stop DIR find a daemon started with --config from the mount point alone', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'audiofs-daemon-'));
  const dir = join(tmp, 'mnt');
  const config = join(tmp, 'elsewhere.yaml');
  const stateDir = join(tmp, 'custom-state');
  await writeFile(config, `http: 127.0.0.1:0\ndevice: off\nstate_dir: ${stateDir}\n`);
  try {
    const started = await audiofs(tmp, 'start', dir, '--config', config);
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(started.stdout.trim());
    await appendFile(join(dir, 'ctl'), 'tone audiofs-tone 440\n');

    const status = await audiofs(tmp, 'status', dir);
    assert.equal(status.code, 0, status.stdout);
    assert.deepEqual(status.stdout.split('\n').slice(0, 4), ['running', `pid: ${pid}`, `state: ${stateDir}`, `log: ${join(stateDir, 'audiofs.log')}`]);

    const again = await audiofs(tmp, 'start', dir);
    assert.notEqual(again.code, 0, 'a second start without --config sees the running daemon');
    assert.match(again.stderr, new RegExp(`already served by a running daemon \\(pid ${pid}\\)`));

    const restarted = await audiofs(tmp, 'restart', dir);
    assert.equal(restarted.code, 0, restarted.stderr);
    const pid2 = Number(restarted.stdout.trim());
    assert.notEqual(pid2, pid);
    assert.equal(await alive(pid), false);
    assert.equal((await readFile(join(stateDir, 'audiofs.pid'), 'utf8')).trim(), String(pid2), 'restarted with the same config and state');
    assert.equal(await readFile(join(dir, 'ctl'), 'utf8'), 'tone audiofs-tone 440\n');

    assert.deepEqual(await audiofs(tmp, 'stop', dir), { code: 0, stdout: `stopped ${pid2}\n`, stderr: '' });
    assert.equal(await alive(pid2), false);
    assert.equal(await mounted(dir), false);
  } finally {
    await audiofs(tmp, 'stop', dir, '--config', config);
    if (await mounted(dir)) await exec('fusermount', ['-uz', dir]).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }
});
