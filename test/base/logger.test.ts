// The logger: lines escaped for a terminal and bounded in length, whatever a writer of a command file sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, MAX_LOG_LINE } from '../../lib/base/logger.js';

test('a line is kept up to MAX_LOG_LINE characters, control characters escaped, with how many more there were', () => {
  const lines: string[] = [];
  const logger = new Logger({ now: () => new Date(0), echo: (l) => lines.push(l) });
  logger.error(`/ctl: 'seek ${'\x01'.repeat(60_000)}' refused`);
  assert.equal(lines.length, 1);
  const head = `1970-01-01T00:00:00.000Z error `;
  const escaped = `/ctl: 'seek ${'\\x01'.repeat(60_000)}' refused`;
  assert.equal(lines[0], `${head}${escaped.slice(0, MAX_LOG_LINE)} ... (${escaped.length - MAX_LOG_LINE} more characters)\n`);
  logger.info('short \x1b[31mred');
  assert.equal(lines[1], `${head.replace('error', 'info')}short \\x1b[31mred\n`);
});
