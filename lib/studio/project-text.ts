import { stageNames } from '../procchain/stage-names.js';
import { CHAIN_FILES } from './names.js';
import type { Project } from './project.js';
import { quoteWord, type StageArgv } from '../procchain/tokenize.js';
import type { Chain } from '../procchain/chain.js';
import type { Stage } from '../procchain/stage.js';

/**
 * What reading /ctl gives is transportText() then chainLines(): the lines that rebuild the project, in order.
 * A chain whose stage names are what its line would give is one line; other chains (made with mkdir) come
 * back from their directories.
 */
export function transportText(project: Project): string {
  return transportLines(project).map((l) => `${l}\n`).join('');
}

/** The chain lines of /ctl (what changes only when the project's version moves). */
export function chainLines(project: Project): string {
  let text = '';
  for (const chain of project.chains.values()) text += chainLine(chain).line;
  return text;
}

/**
 * The bytes chainLines() gives, kept without making the text (a stat of /ctl comes after each change): after
 * a change, only the lines of the chains it touched are looked at again.
 */
export class ChainLinesBytes {
  private version = -1;
  private total = 0;
  private readonly bytes = new Map<Chain, number>();

  constructor(private readonly project: Project) {}

  get(): number {
    const project = this.project;
    if (this.version === project.version) return this.total;
    const changed = project.changedSince(this.version);
    if (changed === 'all') {
      this.bytes.clear();
      this.total = 0;
      for (const chain of project.chains.values()) this.count(chain);
    } else {
      for (const chain of changed) {
        this.total -= this.bytes.get(chain) ?? 0;
        this.bytes.delete(chain);
        if (project.chains.get(chain.name) === chain) this.count(chain);
      }
    }
    this.version = project.version;
    return this.total;
  }

  private count(chain: Chain): void {
    const bytes = chainLine(chain).bytes;
    this.bytes.set(chain, bytes);
    this.total += bytes;
  }
}

/** A chain's line of /ctl as made last, with what it was made from (the stages and their argv, by identity). */
interface MadeLine {
  stages: readonly Stage[];
  argv: readonly StageArgv[];
  names: readonly string[];
  line: string;
  /** The line's length in UTF-8. */
  bytes: number;
}

const madeLines = new WeakMap<Chain, MadeLine>();

/** One chain's line with its newline ('' when its directories say more than a line can); made again only when its stages changed. */
function chainLine(chain: Chain): MadeLine {
  const stages = chain.stages;
  const made = madeLines.get(chain);
  if (made && sameStages(made, stages)) return made;
  let line = '';
  if (stages.length > 0 && stages.every((s) => s.argv.length > 0)) {
    const names = stageNames(stages.map((s) => s.argv), CHAIN_FILES);
    if (names.every((n, i) => n === stages[i].name)) line = `${quoteWord(chain.name)} ${chain.definition}\n`;
  }
  const now = { stages: [...stages], argv: stages.map((s) => s.argv), names: stages.map((s) => s.name), line, bytes: Buffer.byteLength(line) };
  madeLines.set(chain, now);
  return now;
}

/** Whether `stages` are those `made` was made from, as they were (a loop: this runs for every chain at each stat of /ctl). */
function sameStages(made: MadeLine, stages: readonly Stage[]): boolean {
  if (made.stages.length !== stages.length) return false;
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i];
    if (s !== made.stages[i] || s.argv !== made.argv[i] || s.name !== made.names[i]) return false;
  }
  return true;
}

/** The /ctl lines of the transport settings that differ from a new mount's (realtime off, loop, steps, collect, trace). */
export function transportLines(project: Project): string[] {
  const lines: string[] = [];
  const t = project.transport.plan;
  if (!t.realtime) lines.push('realtime off');
  if (t.loop) lines.push(`loop ${t.loop.from} ${t.loop.to}`);
  if (t.stepBars !== null) lines.push(`steps ${t.stepBars}`);
  if (project.outputs.out.collecting) lines.push('collect on');
  if (project.engine.trace) lines.push('trace on');
  return lines;
}
