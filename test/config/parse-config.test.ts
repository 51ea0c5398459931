import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, defaultConfig, mountName, parseConfig } from '../../lib/config/index.js';

const env = { HOME: '/home/tester' };
const context = { mountDir: '/srv/studio', env };

function refused(yamlText: string): ConfigError {
  try {
    parseConfig(yamlText, context);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(yamlText)} to be refused`);
}

test('an empty file gives the defaults of DESIGN.md section 7', () => {
  const expected = {
    rate: 44100,
    channels: 2,
    period: 512,
    stateDir: `/home/tester/.local/state/audiofs/${mountName('/srv/studio')}`,
    device: 'auto',
    http: { host: '127.0.0.1', port: 8000 },
    mp3: [{ bitrate: 128 }],
    icecast: null,
    collect: false,
    allowOther: false,
    group: null,
    log: { level: 'info' },
  };
  assert.deepEqual(parseConfig('', context), expected);
  assert.deepEqual(parseConfig('# nothing\n', context), expected);
  assert.deepEqual(defaultConfig('/srv/studio', env), expected);
});

test('the mount name is the basename plus a hash of the absolute path', () => {
  assert.match(mountName('/srv/studio'), /^studio-[0-9a-f]{8}$/);
  assert.notEqual(mountName('/srv/studio'), mountName('/home/studio'));
  assert.equal(mountName('/srv/studio/'), mountName('/srv/studio'));
  assert.match(mountName('/'), /^root-[0-9a-f]{8}$/);
  assert.match(mountName('/x/my studio'), /^my_studio-/);
});

test('every key is read', () => {
  const config = parseConfig(`
rate: 48000
channels: 1
period: 256
state_dir: ~/proj/<mount-name>
device: "USB Audio"
http: 0.0.0.0:9000
mp3: [{bitrate: 320}, {bitrate: 64}]
icecast: {url: "http://radio.example:8001/live", password: hackme}
collect: true
allow_other: true
group: 4242
log: {level: debug}
`, context);
  assert.deepEqual(config, {
    rate: 48000,
    channels: 1,
    period: 256,
    stateDir: `/home/tester/proj/${mountName('/srv/studio')}`,
    device: 'USB Audio',
    http: { host: '0.0.0.0', port: 9000 },
    mp3: [{ bitrate: 320 }, { bitrate: 64 }],
    icecast: { url: 'http://radio.example:8001/live', host: 'radio.example', port: 8001, mount: '/live', user: 'source', password: 'hackme' },
    collect: true,
    allowOther: true,
    group: 4242,
    log: { level: 'debug' },
  });
});

test('off and false switch outputs off; a bare port and IPv6 are addresses', () => {
  const config = parseConfig('device: off\nhttp: off\nmp3: off\nicecast: false\n', context);
  assert.equal(config.device, 'off');
  assert.equal(config.http, null);
  assert.deepEqual(config.mp3, []);
  assert.equal(config.icecast, null);
  assert.deepEqual(parseConfig('http: 8123', context).http, { host: '127.0.0.1', port: 8123 });
  assert.deepEqual(parseConfig('http: "[::1]:0"', context).http, { host: '::1', port: 0 });
});

test('errors name the key, what was expected and what was received', () => {
  const cases: Array<[string, string, string]> = [
    ['mp3: [{bitrate: 128}, {bitrate: 100}]', 'mp3[1].bitrate',
      'config: mp3[1].bitrate: expected one of 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, got 100'],
    ['rate: 44.1', 'rate', 'config: rate: expected a whole number from 8000 to 192000, got 44.1'],
    ['rate: "44100"', 'rate', "config: rate: expected a whole number from 8000 to 192000, got '44100'"],
    ['channels: 0', 'channels', 'config: channels: expected a whole number from 1 to 8, got 0'],
    ['period: 1000000', 'period', 'config: period: expected a whole number from 16 to 65536, got 1000000'],
    ['collect: yes', 'collect', "config: collect: expected true or false, got 'yes'"],
    ['http: 127.0.0.1', 'http', "config: http: expected HOST:PORT or off, got '127.0.0.1'"],
    ['http: "localhost:70000"', 'http', "config: http: expected HOST:PORT with a port from 0 to 65535, or off, got 'localhost:70000'"],
    ['state_dir: relative/dir', 'state_dir',
      "config: state_dir: expected an absolute path or one starting with ~/ (<mount-name> is replaced), got 'relative/dir'"],
    ['icecast: {url: "ftp://x/y", password: p}', 'icecast.url', "config: icecast.url: expected http://HOST:PORT/MOUNT, got 'ftp://x/y'"],
    ['icecast: {url: "http://x:8000/"}', 'icecast.url', "config: icecast.url: expected http://HOST:PORT/MOUNT, got 'http://x:8000/'"],
    ['icecast: {url: "http://x:8000/m"}', 'icecast.password', 'config: icecast.password: expected the source password, got nothing'],
    ['log: {level: verbose}', 'log.level', "config: log.level: expected one of debug, info, warn, error, got 'verbose'"],
    ['mp3: {bitrate: 128}', 'mp3', 'config: mp3: expected a list of {bitrate: N}, or off, got a mapping ({"bitrate":128})'],
    ['- 1\n- 2', '', 'config: expected a mapping with keys rate, channels, period, state_dir, device, http, mp3, icecast, collect, allow_other, group, log, got a list ([1,2])'],
  ];
  for (const [yamlText, key, message] of cases) {
    const err = refused(yamlText);
    assert.equal(err.key, key, yamlText);
    assert.equal(err.message, message, yamlText);
    assert.equal(err.code, 'EINVAL');
  }
});

test('unknown keys are refused with the list of known ones', () => {
  const top = refused('rate: 44100\nrat: 48000\n');
  assert.equal(top.key, 'rat');
  assert.equal(top.message,
    'config: rat: unknown key (expected one of rate, channels, period, state_dir, device, http, mp3, icecast, collect, allow_other, group, log)');
  const inner = refused('mp3: [{bitrate: 128, quality: 2}]');
  assert.equal(inner.message, 'config: mp3[0].quality: unknown key (expected one of bitrate)');
  const log = refused('log: {level: info, file: /tmp/x}');
  assert.equal(log.key, 'log.file');
});

test('a YAML syntax error says where', () => {
  const err = refused('rate: 44100\n  channels: [2\n');
  assert.equal(err.key, '');
  assert.match(err.message, /^config: line \d+, column \d+: expected valid YAML, got /);
});

test('group: off, a gid, or a name from the group file; an unknown name is refused', () => {
  assert.equal(parseConfig('group: off\n', context).group, null);
  assert.equal(parseConfig('group: 0\n', context).group, 0);
  assert.equal(parseConfig('group: root\n', context).group, 0);
  assert.throws(() => parseConfig('group: no-such-group-here\n', context), /config: group: expected a group of \/etc\/group or a gid, got 'no-such-group-here'/);
});

test('a wrong password is never repeated in an error', () => {
  assert.throws(() => parseConfig('icecast: {url: "http://h:1/m", password: [hunter2]}\n', context), (e: Error) => {
    assert.match(e.message, /icecast\.password: expected a non-empty string, got a value \(not shown\)/);
    assert.ok(!e.message.includes('hunter2'));
    return true;
  });
});
