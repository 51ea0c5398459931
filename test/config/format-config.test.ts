import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, diffConfig, formatConfig, parseConfig, SECRET_MASK } from '../../lib/config/index.js';


const context = { mountDir: '/srv/studio', env: { HOME: '/home/tester' } };

test('formatConfig writes YAML that parseConfig reads back to the same config', () => {
  const samples = [
    '',
    'rate: 48000\nchannels: 1\nperiod: 128\ndevice: off\nhttp: off\nmp3: off\ncollect: true\nallow_other: true\nlog: {level: warn}\n',
    'http: "[::1]:8001"\nmp3: [{bitrate: 32}, {bitrate: 320}]\nicecast: {url: "http://h:8000/a.mp3", user: me, password: "123"}\nstate_dir: /var/tmp/s\n',
  ];
  for (const sample of samples) {
    const config = parseConfig(sample, context);
    assert.deepEqual(parseConfig(formatConfig(config), context), config, sample);
  }
});

test('formatConfig of the defaults reads as the documented file', () => {
  assert.equal(formatConfig(defaultConfig('/srv/studio', context.env)), [
    'rate: 44100',
    'channels: 2',
    'period: 512',
    `state_dir: ${defaultConfig('/srv/studio', context.env).stateDir}`,
    'device: auto',
    'http: 127.0.0.1:8000',
    'mp3:',
    '  - {bitrate: 128}',
    'icecast: off',
    'collect: false',
    'allow_other: false',
    'group: off',
    'log:',
    '  level: info',
    '',
  ].join('\n'));
});

test('diffConfig names live keys and restart keys separately', () => {
  const before = defaultConfig('/srv/studio', context.env);
  assert.deepEqual(diffConfig(before, parseConfig('', context)), { live: [], restart: [] });
  const after = parseConfig([
    'rate: 48000', 'period: 256', 'allow_other: true', 'state_dir: /var/tmp/x',
    'device: off', 'mp3: [{bitrate: 128}, {bitrate: 64}]', 'collect: true', 'log: {level: debug}',
  ].join('\n'), context);
  assert.deepEqual(diffConfig(before, after), {
    live: ['device', 'mp3', 'collect', 'log.level'],
    restart: ['rate', 'period', 'state_dir', 'allow_other'],
  });
  const outputs = parseConfig('http: 127.0.0.1:8001\nicecast: {url: "http://h:1/m", password: p}\nchannels: 1\n', context);
  assert.deepEqual(diffConfig(before, outputs), { live: ['http', 'icecast'], restart: ['channels'] });
});

test('masked, /config shows the Icecast password as the mask and nothing else differs', () => {
  const config = parseConfig('icecast: {url: "http://h:8000/a.mp3", user: me, password: "hunter2"}\n', context);
  const masked = formatConfig(config, { masked: true });
  assert.ok(!masked.includes('hunter2'));
  assert.equal(masked, formatConfig(config).replace('hunter2', `'${SECRET_MASK}'`));
  assert.equal(parseConfig(masked, context).icecast?.password, SECRET_MASK);
});
