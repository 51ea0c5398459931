import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readlink, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../lib/config/index.js';
import {
  DaemonError, daemonStatus, isAlive, readPidFile, readStat, restartDaemon, startDaemon, stopDaemon,
} from '../../lib/daemon/index.js';
import { makePlace } from './daemon-fixture.js';

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

test('start runs the mount command detached and resolves when DIR/ctl exists; stop ends it with SIGTERM', async () => {
  const place = await makePlace();
  try {
    const started = await startDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('fake-mount.mjs'), env: place.env });
    assert.deepEqual(started, {
      pid: started.pid,
      pidFile: join(place.stateDir, 'audiofs.pid'),
      logFile: join(place.stateDir, 'audiofs.log'),
      clearedStalePidFile: false,
      clearedStaleMount: false,
    });
    assert.ok(await exists(join(place.mountDir, 'ctl')));
    assert.equal(await readPidFile(started.pidFile), started.pid);
    const stat = await readStat(started.pid);
    assert.equal(stat?.session, started.pid, 'the daemon leads a session of its own');
    assert.equal(await readlink(`/proc/${started.pid}/fd/0`), '/dev/null');
    assert.equal(await readlink(`/proc/${started.pid}/fd/1`), started.logFile);
    assert.equal(await readlink(`/proc/${started.pid}/fd/2`), started.logFile);
    const environ = await readFile(`/proc/${started.pid}/environ`, 'utf8');
    assert.ok(environ.split('\0').includes(`AUDIOFS_STATE_DIR=${place.stateDir}`));

    const status = await daemonStatus({ mountDir: place.mountDir, stateDir: place.stateDir });
    assert.deepEqual(status, {
      running: true, pid: started.pid, stalePidFile: false, mount: 'none',
      cmdline: place.command('fake-mount.mjs'), pidFile: started.pidFile, logFile: started.logFile,
    });

    await assert.rejects(
      startDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('fake-mount.mjs'), env: place.env }),
      (err: unknown) => {
        assert.ok(err instanceof DaemonError);
        assert.equal(err.reason, 'already-running');
        assert.equal(err.code, 'EBUSY');
        assert.equal(err.pid, started.pid);
        assert.equal(err.message, `${place.mountDir}: already served by a running daemon (pid ${started.pid})`);
        return true;
      },
    );

    const stopped = await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, timeoutMs: 5000 });
    assert.deepEqual(stopped, { wasRunning: true, pid: started.pid, forced: false, killedPids: [], forcedUnmount: false, clearedStalePidFile: false });
    assert.equal(await isAlive(started.pid), false);
    assert.equal(await exists(started.pidFile), false);
    assert.equal(await exists(join(place.mountDir, 'ctl')), false);
    const log = await readFile(started.logFile, 'utf8');
    assert.match(log, /info daemon: starting .*fake-mount\.mjs mount /);
    assert.match(log, new RegExp(`fake-mount: pid ${started.pid} mounting`));
    assert.match(log, /fake-mount: ready /);
    assert.match(log, /fake-mount: SIGTERM, unmounting/);
    assert.equal((await daemonStatus({ mountDir: place.mountDir, stateDir: place.stateDir })).running, false);
    assert.deepEqual(await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir }),
      { wasRunning: false, pid: null, forced: false, killedPids: [], forcedUnmount: false, clearedStalePidFile: false });
  } finally {
    await place.cleanup();
  }
});

test('a command that never gets ready times out with the tail of its log, and is stopped', async () => {
  const place = await makePlace();
  try {
    const err = await startDaemon({
      mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('never-ready.mjs'), env: place.env, timeoutMs: 700,
    }).then(() => assert.fail('expected a timeout'), (e: unknown) => e);
    assert.ok(err instanceof DaemonError);
    assert.equal(err.reason, 'not-ready');
    assert.ok(err.pid !== null);
    assert.match(err.message, new RegExp(`^${place.mountDir}: expected ${place.mountDir}/ctl within 700 ms, it never appeared; `
      + `the daemon \\(pid ${err.pid}\\) was stopped; last lines of the log:\\n`));
    assert.match(err.logTail, /never-ready: waiting for a sound card that will not come$/);
    assert.equal(await isAlive(err.pid as number), false);
    assert.equal(await exists(join(place.stateDir, 'audiofs.pid')), false);
  } finally {
    await place.cleanup();
  }
});

test('a command that exits before it is ready fails with its exit code and log', async () => {
  const place = await makePlace();
  try {
    await assert.rejects(
      startDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('exits-early.mjs'), env: place.env }),
      (err: unknown) => {
        assert.ok(err instanceof DaemonError);
        assert.equal(err.reason, 'exited');
        assert.equal(err.exitCode, 3);
        assert.equal(err.signal, null);
        assert.match(err.message, /the daemon \(pid \d+\) exited with 3 before .*\/ctl appeared; last lines of the log:\n/);
        assert.match(err.logTail, /exits-early: fuse: device not found, try modprobe fuse$/);
        return true;
      },
    );
    assert.equal(await exists(join(place.stateDir, 'audiofs.pid')), false);
    await assert.rejects(
      startDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, command: ['/nonexistent/audiofs', 'mount', place.mountDir] }),
      { name: 'DaemonError', reason: 'spawn-failed', code: 'ENOENT', message: `${place.mountDir}: cannot run /nonexistent/audiofs: ENOENT` },
    );
  } finally {
    await place.cleanup();
  }
});

test('a daemon that ignores SIGTERM is SIGKILLed after the timeout, with its clients', async () => {
  const place = await makePlace();
  let client = 0;
  try {
    const started = await startDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('ignores-term.mjs'), env: place.env });
    client = Number(await readFile(join(place.mountDir, 'client.pid'), 'utf8'));
    assert.notEqual((await readStat(client))?.session, started.pid, 'the client has a session of its own');
    const t0 = Date.now();
    const stopped = await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, timeoutMs: 600 });
    assert.ok(Date.now() - t0 >= 600, 'SIGTERM got its time');
    assert.equal(stopped.forced, true);
    assert.equal(stopped.wasRunning, true);
    assert.deepEqual([...stopped.killedPids].sort(), [started.pid, client].sort());
    assert.equal(await isAlive(started.pid), false);
    assert.equal(await isAlive(client), false);
    assert.match(await readFile(started.logFile, 'utf8'), /ignores-term: SIGTERM ignored/);
  } finally {
    await place.cleanup(client);
  }
});

test('a stale pid file (a dead pid, or a live one that is not ours) is cleared', async () => {
  const place = await makePlace();
  try {
    const pidFile = join(place.stateDir, 'audiofs.pid');
    await startDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('fake-mount.mjs'), env: place.env });
    await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir });
    await writeFile(pidFile, `${process.pid}\n`);
    assert.deepEqual(await daemonStatus({ mountDir: place.mountDir, stateDir: place.stateDir }), {
      running: false, pid: null, stalePidFile: true, mount: 'none', cmdline: null, pidFile, logFile: join(place.stateDir, 'audiofs.log'),
    });
    const started = await startDaemon({ mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('fake-mount.mjs'), env: place.env });
    assert.equal(started.clearedStalePidFile, true);
    assert.equal(await isAlive(process.pid), true);
    await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir });
    await writeFile(pidFile, '4194303\n');
    assert.deepEqual(await stopDaemon({ mountDir: place.mountDir, stateDir: place.stateDir }),
      { wasRunning: false, pid: null, forced: false, killedPids: [], forcedUnmount: false, clearedStalePidFile: true });
    assert.equal(await exists(pidFile), false);
  } finally {
    await place.cleanup();
  }
});

test('restart stops and starts again; a bad config file fails before anything is stopped', async () => {
  const place = await makePlace();
  try {
    const options = { mountDir: place.mountDir, stateDir: place.stateDir, command: place.command('fake-mount.mjs'), env: place.env };
    const first = await startDaemon(options);
    const { stopped, started } = await restartDaemon(options);
    assert.equal(stopped.pid, first.pid);
    assert.equal(stopped.forced, false);
    assert.notEqual(started.pid, first.pid);
    assert.equal(await isAlive(first.pid), false);
    assert.equal(await isAlive(started.pid), true);

    const configFile = join(place.root, 'bad.yaml');
    await writeFile(configFile, 'period: 3\n');
    await assert.rejects(restartDaemon({ ...options, configFile }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${configFile}: config: period: expected a whole number from 16 to 65536, got 3`);
      return true;
    });
    assert.equal(await isAlive(started.pid), true, 'the running daemon stays');
    await assert.rejects(startDaemon({ ...options, command: [process.execPath, 'x.js', 'mount', 'relative'] }), {
      name: 'TypeError',
      message: `startDaemon: command: expected an argument naming ${place.mountDir}, got ["${process.execPath}","x.js","mount","relative"]`,
    });
  } finally {
    await place.cleanup();
  }
});
