import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOutputConfig, mp3Paths } from '../../lib/mix/output-config.js';

test('the output keys default as in DESIGN section 7 and parse what users write', () => {
  assert.deepEqual(parseOutputConfig({}), { device: 'auto', http: { host: '127.0.0.1', port: 8000 }, mp3: [{ bitrate: 128 }], icecast: null });
  assert.deepEqual(parseOutputConfig({ device: 'off', http: 'off', mp3: [{ bitrate: 320 }, { bitrate: 64 }], icecast: { url: 'http://127.0.0.1:8001/live.mp3', password: 'p' } }), {
    device: 'off', http: null, mp3: [{ bitrate: 320 }, { bitrate: 64 }], icecast: { url: 'http://127.0.0.1:8001/live.mp3', user: 'source', password: 'p' },
  });
  assert.deepEqual(mp3Paths(0, 128), ['/stream.mp3', '/stream-128.mp3']);
  assert.deepEqual(mp3Paths(1, 320), ['/stream-320.mp3']);
});

test('bad output keys are EINVAL saying what was expected', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ http: 'localhost' }, 'http: expected HOST:PORT (such as 127.0.0.1:8000) or off, got "localhost"'],
    [{ mp3: [{ bitrate: 100 }] }, 'mp3[0].bitrate: expected one of 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, got 100'],
    [{ icecast: { url: 'ftp://x/y', password: 'p' } }, 'icecast: expected off or {url: http://HOST:PORT/MOUNT, user: source, password: ...}, got {"url":"ftp://x/y","password":"p"}'],
  ];
  for (const [raw, detail] of cases) assert.throws(() => parseOutputConfig(raw), { code: 'EINVAL', detail });
});
