import yaml from 'js-yaml';

/** What yaml.dump cannot be matched on by dumpYaml (a multi-line string): the whole value goes to yaml.dump. */
class NotPlain extends Error {}

const DUMP = { lineWidth: -1, skipInvalid: true } as const;
const MEMO_MAX = 50_000;
const scalars = new Map<string, string>();
const keys = new Map<string, string>();

/**
 * The text `yaml.dump(value, {lineWidth: -1, skipInvalid: true})` gives for a tree of plain data (objects, arrays,
 * strings, numbers, booleans, null), made in one pass: js-yaml's own choice of style is asked once per
 * distinct string and remembered, so /status of a large project costs a walk, not a full dump.
 */
export function dumpYaml(value: unknown): string {
  try {
    const text = node(value, 0, true);
    return text === undefined ? '' : `${text}\n`;
  } catch (err) {
    if (err instanceof NotPlain) return yaml.dump(value, DUMP);
    throw err;
  }
}

function node(v: unknown, level: number, compact: boolean): string | undefined {
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return number(v);
  if (typeof v === 'string') return scalar(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : sequence(v, level, compact);
  if (Object.getPrototypeOf(v) !== Object.prototype) throw new NotPlain();
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol');
  return entries.length === 0 ? '{}' : mapping(entries, level, compact);
}

function sequence(items: unknown[], level: number, compact: boolean): string {
  let out = '';
  for (const item of items) {
    const text = node(item, level + 1, true) ?? 'null';
    if (!compact || out !== '') out += newline(level);
    out += text.charCodeAt(0) === 10 ? '-' : '- ';
    out += text;
  }
  return out;
}

function mapping(entries: [string, unknown][], level: number, compact: boolean): string {
  let out = '';
  for (const [k, v] of entries) {
    if (!compact || out !== '') out += newline(level);
    const text = node(v, level + 1, false)!;
    out += key(k);
    out += text.charCodeAt(0) === 10 ? ':' : ': ';
    out += text;
  }
  return out;
}

/** A number as js-yaml writes it (its int and float types, lowercase style). */
function number(v: number): string {
  if (Number.isInteger(v) && !Object.is(v, -0)) return String(v);
  if (Number.isNaN(v)) return '.nan';
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  if (Object.is(v, -0)) return '-0.0';
  const text = v.toString(10);
  return /^[-+]?[0-9]+e/.test(text) ? text.replace('e', '.e') : text;
}

function newline(level: number): string {
  return `\n${'  '.repeat(level)}`;
}

function scalar(s: string): string {
  let text = scalars.get(s);
  if (text === undefined) {
    text = yaml.dump(s, DUMP).slice(0, -1);
    // A block scalar's lines are indented by where it stands: not something to remember.
    if (text.includes('\n')) throw new NotPlain();
    remember(scalars, s, text);
  }
  return text;
}

function key(k: string): string {
  let text = keys.get(k);
  if (text === undefined) {
    if (k.length > 1024) throw new NotPlain();
    const dumped = yaml.dump({ [k]: null }, DUMP);
    text = dumped.slice(0, -': null\n'.length);
    if (text.includes('\n')) throw new NotPlain();
    remember(keys, k, text);
  }
  return text;
}

function remember(memo: Map<string, string>, k: string, text: string): void {
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(k, text);
}
