import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DaemonError, daemonStatus, fuseMountAt, isAlive, probeMount, startDaemon, stopDaemon,
} from '../../lib/daemon/index.js';
import { fixture, makePlace } from './daemon-fixture.js';

async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  while (await isAlive(pid)) await sleep(20);
}

test('a SIGKILLed FUSE daemon leaves a stale mount that status sees and start clears', async () => {
  const place = await makePlace('my studio');
  try {
    const options = { mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('fuse-ctl-mount.mjs'), env: place.env };
    const first = await startDaemon(options);
    assert.equal(await readFile(join(place.mountDir, 'ctl'), 'utf8'), 'ready\n', 'ctl is served by the FUSE mount');
    assert.equal((await fuseMountAt(place.mountDir))?.target, place.mountDir, '/proc/mounts escapes are read back');
    assert.equal((await daemonStatus({ mountDir: place.mountDir, stateDir: place.stateDir })).mount, 'live');

    await killAndWait(first.pid);
    assert.equal(await probeMount(place.mountDir), 'stale');
    await assert.rejects(readFile(join(place.mountDir, 'ctl')), { code: 'ENOTCONN' });
    const status = await daemonStatus({ mountDir: place.mountDir, stateDir: place.stateDir });
    assert.equal(status.running, false);
    assert.equal(status.stalePidFile, true);
    assert.equal(status.mount, 'stale');

    const second = await startDaemon(options);
    assert.equal(second.clearedStaleMount, true);
    assert.equal(second.clearedStalePidFile, true);
    assert.equal(await readFile(join(place.mountDir, 'ctl'), 'utf8'), 'ready\n');

    const stopped = await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, timeoutMs: 5000 });
    assert.equal(stopped.forced, false);
    assert.equal(stopped.forcedUnmount, false);
    assert.equal(await fuseMountAt(place.mountDir), undefined, 'a clean stop unmounts');
    assert.equal(await isAlive(second.pid), false);
  } finally {
    await place.cleanup();
  }
});

test('stop after a SIGKILL detaches the dead mount; a live mount of someone else is refused', async () => {
  const place = await makePlace();
  let foreign: number | undefined;
  try {
    const options = { mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('fuse-ctl-mount.mjs'), env: place.env };
    const started = await startDaemon(options);
    await killAndWait(started.pid);
    assert.equal(await probeMount(place.mountDir), 'stale');
    const stopped = await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir });
    assert.deepEqual(stopped, { wasRunning: false, pid: null, forced: false, killedPids: [], forcedUnmount: true, clearedStalePidFile: true });
    assert.equal(await fuseMountAt(place.mountDir), undefined);

    const child = spawn(process.execPath, [fixture('fuse-ctl-mount.mjs'), 'mount', place.mountDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    foreign = child.pid;
    await new Promise((ready) => child.stdout.once('data', ready));
    await assert.rejects(startDaemon(options), (err: unknown) => {
      assert.ok(err instanceof DaemonError);
      assert.equal(err.reason, 'mount-busy');
      assert.equal(err.message, `${place.mountDir}: expected no FUSE mount, got a live one not started from ${join(place.stateDir, 'audiofs.pid')}`);
      return true;
    });
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
    assert.equal(await fuseMountAt(place.mountDir), undefined);
  } finally {
    await place.cleanup(...(foreign === undefined ? [] : [foreign]));
  }
});
