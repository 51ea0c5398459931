import { AudiofsError } from '../base/errors.js';

/** One stage of a chain line: the command and its arguments, as typed. */
export type StageArgv = readonly string[];

/**
 * Splits a line into words by Plan 9's rules: white space separates, single quotes quote,
 * `''` inside quotes is one quote. No other character is special: `;`, `$()`, `>` are plain.
 * Returns the words and, for each, whether it was an unquoted `|`.
 */
export function tokenize(line: string, where = 'ctl'): Array<{ word: string; pipe: boolean }> {
  const words: Array<{ word: string; pipe: boolean }> = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) break;
    let word = '';
    let quoted = false;
    while (i < n && !isSpace(line[i])) {
      if (line[i] === "'") {
        quoted = true;
        i++;
        for (;;) {
          if (i >= n) throw new AudiofsError('EINVAL', 'write', where, `unterminated quote in '${line}' (expected a closing ')`);
          if (line[i] === "'") {
            if (line[i + 1] === "'") { word += "'"; i += 2; continue; }
            i++;
            break;
          }
          word += line[i++];
        }
      } else {
        word += line[i++];
      }
    }
    words.push({ word, pipe: !quoted && word === '|' });
  }
  return words;
}

/** Splits a chain line's words (after the name) into stages at each unquoted `|`. */
export function splitStages(line: string, where = 'ctl'): StageArgv[] {
  return stagesOf(tokenize(line, where), line, where);
}

/** Splits already tokenized words into stages at each unquoted `|`; `line` is quoted in the error. */
export function stagesOf(tokens: ReadonlyArray<{ word: string; pipe: boolean }>, line: string, where = 'ctl'): StageArgv[] {
  const stages: string[][] = [[]];
  for (const t of tokens) {
    if (t.pipe) stages.push([]);
    else stages[stages.length - 1].push(t.word);
  }
  if (stages.some((s) => s.length === 0)) {
    throw new AudiofsError('EINVAL', 'write', where, `empty stage in '${line}' (expected 'cmd args | cmd args ...')`);
  }
  return stages;
}

/** Quotes one word so that tokenize() gives it back (quotes only when needed). */
export function quoteWord(word: string): string {
  if (word !== '' && !/[\s'|]/.test(word)) return word;
  return `'${word.replace(/'/g, "''")}'`;
}

/** The text of a stage's argv as a command line tokenize() reads back. */
export function formatArgv(argv: StageArgv): string {
  return argv.map((w) => (w === '|' ? "'|'" : quoteWord(w))).join(' ');
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}
