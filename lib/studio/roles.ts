import { AudiofsError } from '../base/errors.js';

/**
 * What a caller may do: the owner (and root) everything; the configured group what the group bits allow plus
 * the transport and the mixers; anyone else, with allow_other, only read what the other bits allow.
 */
export type Role = 'owner' | 'group' | 'other';

/** The /ctl verbs the group may use: the transport, never a program, an export or a setting of the machine. */
export const GROUP_ROOT_VERBS: ReadonlySet<string> = new Set(['play', 'stop', 'pause', 'seek', 'loop', 'steps', 'step']);

/** The NAME/ctl verbs the group may use. */
export const GROUP_CHAIN_VERBS: ReadonlySet<string> = new Set(['play', 'stop', 'restart']);

/** A ctl line's verb, for a caller who is not the owner: the group may steer the transport, nobody else anything. */
export function checkVerb(role: Role, verb: string, scope: 'root' | 'chain', where: string): void {
  if (role === 'owner') return;
  const allowed = scope === 'root' ? GROUP_ROOT_VERBS : GROUP_CHAIN_VERBS;
  if (role === 'group' && allowed.has(verb)) return;
  const what = verb === 'chain' ? 'making a chain' : `'${verb}'`;
  throw new AudiofsError('EACCES', 'write', where, `${what} is the owner's (${role === 'group' ? `the group may use ${[...allowed].join(', ')}` : 'only the owner may write here'})`);
}
