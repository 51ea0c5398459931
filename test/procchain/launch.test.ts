import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchOf, parseSsh } from '../../lib/procchain/launch.js';

test('parseSsh finds the destination after options with and without arguments, and the remote command', () => {
  assert.deepEqual(parseSsh(['ssh', '-p', '2222', '-q', '-oBatchMode=yes', 'pi@studio', 'sox', '-q', '-', '-']), {
    options: ['-p', '2222', '-q', '-oBatchMode=yes'],
    destination: 'pi@studio',
    command: ['sox', '-q', '-', '-'],
  });
  assert.deepEqual(parseSsh(['/usr/bin/ssh', '-qi', 'key', '-C', 'host', 'cat']), { options: ['-qi', 'key', '-C'], destination: 'host', command: ['cat'] });
  assert.deepEqual(parseSsh(['ssh', '-p2222', '--', 'host', 'cat']), { options: ['-p2222'], destination: 'host', command: ['cat'] });
});

test('parseSsh: not a remote stage without a remote command, or for another program', () => {
  assert.equal(parseSsh(['ssh', 'host']), undefined);
  assert.equal(parseSsh(['ssh', '-p', '22']), undefined);
  assert.equal(parseSsh(['sox', 'host', 'cat']), undefined);
  assert.equal(parseSsh(['/opt/sshfs', 'host', 'cat']), undefined);
});

test('a remote launch asks the remote shell for its pid first and takes the marker out of stderr, split or not', () => {
  const launch = launchOf(['ssh', '-p', '22', 'host', 'sox', '-q'], '/usr/bin/ssh');
  assert.deepEqual(launch.args, ['-p', '22', '--', 'host', 'echo', 'audiofs-remote-pid', '$$', '1>&2;', 'sox', '-q']);
  assert.equal(launch.host, 'host');
  const seen = [
    launch.stderr(Buffer.from('Warning: added host\naudiofs-remo')),
    launch.stderr(Buffer.from('te-pid 4242\nsox WARN clip')),
    launch.stderr(Buffer.from('ped 3 samples\n')),
    launch.flush(),
  ].map(String);
  assert.deepEqual(seen, ['Warning: added host\n', 'sox WARN clip', 'ped 3 samples\n', '']);
});

test('a remote launch passes the bytes around the marker as they are (UTF-8 included)', () => {
  const launch = launchOf(['ssh', 'host', 'cat'], '/usr/bin/ssh');
  assert.equal(String(launch.stderr(Buffer.from('é1\naudiofs-remote-pid 12\né2\npart'))), 'é1\né2\npart');
});

test('a remote launch keeps an unfinished line until the process ends', () => {
  const launch = launchOf(['ssh', 'host', 'cat'], '/usr/bin/ssh');
  assert.equal(String(launch.stderr(Buffer.from('ssh: connect to host: refused'))), '');
  assert.equal(String(launch.flush()), 'ssh: connect to host: refused');
});

test('a local launch passes its arguments and stderr through', () => {
  const launch = launchOf(['sox', '-q', '-', '-'], '/usr/bin/sox');
  assert.deepEqual(launch.args, ['-q', '-', '-']);
  assert.equal(launch.host, undefined);
  assert.equal(String(launch.stderr(Buffer.from('x'))), 'x');
});
