import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatArgv, quoteWord, splitStages, tokenize } from '../../lib/procchain/tokenize.js';
import { AudiofsError } from '../../lib/base/errors.js';

const words = (line: string) => tokenize(line).map((t) => t.word);

test('white space separates words; runs of spaces and tabs count once', () => {
  assert.deepEqual(words('  sox  -q\t-n \r '), ['sox', '-q', '-n']);
  assert.deepEqual(words(''), []);
  assert.deepEqual(words(' \t '), []);
});

test("single quotes quote, '' inside quotes is one quote, and quoted pieces join their neighbours", () => {
  assert.deepEqual(words("printf '%s %s' 'a''b'"), ['printf', '%s %s', "a'b"]);
  assert.deepEqual(words("x'y z'w"), ['xy zw']);
  assert.deepEqual(words("''"), ['']);
  assert.deepEqual(words("''''"), ["'"]);
  assert.deepEqual(words("'it''s' ok"), ["it's", 'ok']);
});

test('no other character is special: ; $() backquotes > < & " \\ are plain', () => {
  assert.deepEqual(words('a;b $(rm -rf x) `id` >y <z & "q" \\n'), ['a;b', '$(rm', '-rf', 'x)', '`id`', '>y', '<z', '&', '"q"', '\\n']);
});

test('| separates stages only unquoted and alone; quoted or glued it is a plain argument', () => {
  assert.deepEqual(tokenize("a | '|' b|c"), [
    { word: 'a', pipe: false },
    { word: '|', pipe: true },
    { word: '|', pipe: false },
    { word: 'b|c', pipe: false },
  ]);
  assert.deepEqual(splitStages("cat | tr a '|' | sox -q"), [['cat'], ['tr', 'a', '|'], ['sox', '-q']]);
  assert.deepEqual(splitStages('one'), [['one']]);
});

test('an unterminated quote fails with EINVAL, quoting the line and saying what was expected', () => {
  assert.throws(() => tokenize("x 'cat", '/ctl'), (e: unknown) => {
    assert.ok(e instanceof AudiofsError);
    assert.equal(e.code, 'EINVAL');
    assert.equal(e.detail, "unterminated quote in 'x 'cat' (expected a closing ')");
    assert.equal(e.message, "EINVAL: unterminated quote in 'x 'cat' (expected a closing '), write '/ctl'");
    return true;
  });
  assert.throws(() => tokenize("'a''"), { code: 'EINVAL', detail: "unterminated quote in ''a''' (expected a closing ')" });
});

test('empty stages fail with EINVAL', () => {
  for (const line of ['cat | | cat', 'cat |', '| cat', '|']) {
    assert.throws(() => splitStages(line, '/ctl'), { code: 'EINVAL', detail: `empty stage in '${line}' (expected 'cmd args | cmd args ...')` }, line);
  }
});

test('quoteWord and formatArgv give back text that tokenize reads as the same words', () => {
  assert.equal(quoteWord('plain'), 'plain');
  assert.equal(quoteWord(''), "''");
  assert.equal(quoteWord('a b'), "'a b'");
  assert.equal(quoteWord("it's"), "'it''s'");
  assert.equal(quoteWord('a|b'), "'a|b'");
  const argv = ['printf', '%s|%s', "a'b", ';$(x)>y', '', '|', '\ttab'];
  assert.equal(formatArgv(argv), "printf '%s|%s' 'a''b' ;$(x)>y '' '|' '\ttab'");
  assert.deepEqual(splitStages(formatArgv(argv)), [argv]);
});
