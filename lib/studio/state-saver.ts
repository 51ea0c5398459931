import type { Logger } from '../base/logger.js';
import { Journal } from '../state/journal.js';
import type { StateDir } from '../state/state-dir.js';
import type { Project } from './project.js';
import {
  applyChanges, applyRecord, captureChanges, isJournalRecord, isProjectState, partsOf, recordText, restoreProject, snapshotPieces, stateOf,
  type ProjectParts,
} from './project-state.js';
import type { Chain } from '../procchain/chain.js';
import type { SavedInputs } from './saved-inputs.js';
import type { InputStore } from '../procchain/input-store.js';

/** The file in the state directory that holds the project's snapshot. */
export const PROJECT_JSON = 'project.json';

/** The changes since the snapshot, one record a line. */
export const PROJECT_JOURNAL = 'project.journal';

/** The journal is folded into the snapshot once it is this large, or twice the snapshot's size if that is more. */
const COMPACT_BYTES = 256 * 1024;

const RETRY_MS = 1000;

/** Options of a StateSaver. */
export interface StateSaverOptions {
  /** Quiet time after a change before the snapshot is saved; default 100 ms. */
  debounceMs?: number;
}

/**
 * Keeps the project saved in the state directory. A change is acknowledged only once it is stored: commit()
 * appends what changed (the parts of the project that differ: the root settings, or a chain) to the journal,
 * with the stored inputs it names, with fsync, and resolves when it is on disk; changes that come while a save
 * runs are stored together by the next one (group commit). The journal is folded into the snapshot
 * (project.json) when it grows (after the change that grew it is acknowledged: later ones go to a new
 * journal file while the snapshot is written) and at unmount. What is busy (an `in` a writer holds open) is saved when it is
 * closed, or after RETRY_MS.
 */
export class StateSaver {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** The save that will take every change made so far, once the running one ends. */
  private next: Promise<void> | undefined;
  /** Stores to save even though a writer holds them (it is closing them). */
  private readonly forced = new Set<InputStore>();
  private dirty = false;
  private closed = false;
  private readonly journal: Journal;
  /** The project as it is on disk (snapshot and journal), in parts. */
  private durable: ProjectParts = new Map();
  /** The last record written. */
  private seq = 0;
  private snapshotBytes = 0;
  private journalOpen = false;
  /** A snapshot being written in the background while changes go to a new journal file (Journal.beginFold). */
  private folding: Promise<void> = Promise.resolve();
  private foldRunning = false;
  /** The next capture looks at every chain (the first, and after a save that failed or found a store busy). */
  private everything = true;
  /** The project's version when the last capture began: the chains changed since are the ones looked at. */
  private capturedVersion = 0;
  /** The saved inputs each chain named at its last capture. */
  private readonly inputsOf = new Map<Chain, readonly number[]>();

  constructor(private readonly project: Project, private readonly state: StateDir, private readonly inputs: SavedInputs,
    private readonly logger: Logger, private readonly options: StateSaverOptions = {}) {
    this.journal = new Journal(state.path(PROJECT_JOURNAL));
  }

  /** Restores the saved project, if any: the snapshot, then the journal's later records (before the mount serves anything). */
  async restore(): Promise<boolean> {
    const saved = await this.state.loadJson(PROJECT_JSON);
    let parts: ProjectParts | undefined;
    if (saved !== undefined && !isProjectState(saved)) {
      this.logger.error(`state: ${this.state.path(PROJECT_JSON)}: expected a version 1 project snapshot, got something else; starting from the journal alone`);
    } else if (saved !== undefined) {
      parts = partsOf(saved);
      this.seq = saved.seq ?? 0;
      this.snapshotBytes = JSON.stringify(saved).length;
    }
    const records = await this.openJournal();
    let replayed = 0;
    for (const record of records) {
      if (!isJournalRecord(record)) {
        this.logger.error(`state: ${this.journal.path}: record ${replayed + 1} is not a change this version reads; the records from it on are ignored`);
        break;
      }
      if (record.seq <= this.seq) continue;
      parts ??= new Map();
      applyRecord(parts, record);
      this.seq = record.seq;
      replayed++;
    }
    if (parts === undefined) return false;
    let state;
    try {
      state = stateOf(parts);
    } catch (err) {
      this.logger.error(`state: the saved project does not hold together (${(err as Error).message}); starting empty`);
      return false;
    }
    this.durable = parts;
    // A fold a crash cut short: its snapshot is written now, before anything else is appended (or, on a full
    // disk, later: both files are read again at the next restore).
    if (this.journal.folding) {
      await this.compact().catch((err: Error) => this.logger.warn(`state: finishing the fold of the journal into ${PROJECT_JSON} failed (both files keep every change): ${err.message}`));
    }
    await restoreProject(this.project, state, this.inputs);
    this.logger.info(`state: project restored from ${this.state.path(PROJECT_JSON)}${replayed > 0 ? ` and ${replayed} later changes` : ''} (${state.chains.length} chains)`);
    return true;
  }

  /** A change happened (Project.changedSince says to what): it is saved by the next commit (at the latest after the quiet time). */
  schedule(): void {
    if (this.closed) return;
    this.dirty = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.commit().catch(() => undefined), this.options.debounceMs ?? 100);
  }

  /**
   * Stores every change made so far (and `store`, even while a writer holds it) and resolves once it is on
   * disk; rejects with the error that kept it from being stored (ENOSPC for a full disk).
   */
  commit(options: { store?: InputStore } = {}): Promise<void> {
    if (options.store) {
      this.forced.add(options.store);
      this.everything = true;
    }
    this.dirty = true;
    this.next ??= this.serialized(() => {
      this.next = undefined;
      return this.save();
    });
    return this.next;
  }

  /** Saves now if anything changed, and waits for it. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    if (this.dirty) await this.commit().catch(() => undefined);
    else await this.saving.catch(() => undefined);
  }

  /**
   * Saves what is pending, folds the journal into the snapshot and closes it. In the save queue: a change
   * committed meanwhile (the mount still serves until it is unmounted) is stored before the fold, or fails
   * after it (the journal is closed), never acknowledged and then folded away.
   */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    await this.serialized(async () => {
      if (this.journal.size > 0 || this.journal.folding) {
        await this.compact().catch((err: Error) => this.logger.warn(`state: folding the journal into ${PROJECT_JSON} at unmount failed (the journal keeps every change): ${err.message}`));
      }
      if (this.journalOpen) await this.journal.close();
    });
  }

  /** Runs `f` after every save and fold queued so far; what is queued after waits for it. */
  private serialized(f: () => Promise<void>): Promise<void> {
    const p = this.saving.catch(() => undefined).then(f);
    this.saving = p;
    return p;
  }

  /** A store was busy (a writer open) or changed while it was copied, or the save failed: try again later. */
  private retry(): void {
    if (this.closed) return;
    this.everything = true;
    this.dirty = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.commit().catch(() => undefined), RETRY_MS);
  }

  /** One save of everything changed so far; throws what kept it from being stored. */
  private async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const forced = new Set(this.forced);
    this.forced.clear();
    const scope = this.everything ? 'all' : this.project.changedSince(this.capturedVersion);
    this.everything = false;
    this.capturedVersion = this.project.version;
    try {
      const changes = await captureChanges(this.project, this.inputs, this.durable, { forced, inputsOf: this.inputsOf, scope });
      const record = recordText(changes, this.seq + 1);
      if (record !== undefined) {
        if (!this.journalOpen) await this.openJournal();
        await this.journal.appendJson(record);
        applyChanges(this.durable, changes);
        this.seq++;
      }
      if (changes.ids) await this.inputs.prune(changes.ids);
      if (!changes.current) this.retry();
    } catch (err) {
      for (const s of forced) this.forced.add(s);
      this.retry();
      this.logger.error(`state: saving the project failed, the last saved state stays: ${(err as Error).message}`);
      throw err;
    }
    // What was acknowledged is in the journal already: the fold begins after this change is acknowledged (the
    // rename and directory sync of beginFold took a ctl line from 0.6 to 2.5-3 ms), in the save queue, and the
    // snapshot is written while later changes go to a new journal file (the cost of a fold grows with the project).
    if (this.journal.size <= Math.max(COMPACT_BYTES, 2 * this.snapshotBytes) || this.foldRunning) return;
    this.foldRunning = true;
    void this.serialized(() => this.fold());
  }

  /** Folds the journal into the snapshot (in the save queue); foldRunning is set until it has ended. */
  private async fold(): Promise<void> {
    if (this.journal.folding) {
      // A fold that failed (a full disk): everything is folded again, before the next change.
      await this.compact()
        .catch((err: Error) => this.logger.warn(`state: folding the journal into ${PROJECT_JSON} failed again (the journal keeps every change): ${err.message}`))
        .finally(() => (this.foldRunning = false));
      return;
    }
    try {
      await this.journal.beginFold();
    } catch (err) {
      this.foldRunning = false;
      this.logger.warn(`state: folding the journal into ${PROJECT_JSON} could not begin (the journal keeps every change): ${(err as Error).message}`);
      return;
    }
    const durable = new Map(this.durable);
    const seq = this.seq;
    this.folding = (async () => {
      await this.writeSnapshot(durable, seq);
      await this.journal.endFold();
    })().catch((err: Error) => this.logger.warn(`state: folding the journal into ${PROJECT_JSON} failed (the journal keeps every change; tried again as it grows and at unmount): ${err.message}`))
      .finally(() => (this.foldRunning = false));
  }

  private async openJournal(): Promise<unknown[]> {
    const records = await this.journal.open();
    this.journalOpen = true;
    return records;
  }

  /** Writes the snapshot of what is on disk, then empties the journal it now holds (after a fold under way); in the save queue, or before serving. */
  private async compact(): Promise<void> {
    await this.folding;
    if (this.durable.size === 0) return;
    await this.writeSnapshot(this.durable, this.seq);
    await this.journal.reset();
  }

  /** Writes project.json: the project as `parts`, up to journal record `seq`. */
  private async writeSnapshot(parts: ProjectParts, seq: number): Promise<void> {
    const pieces = snapshotPieces(parts, seq);
    await this.state.saveText(PROJECT_JSON, pieces);
    this.snapshotBytes = pieces.reduce((n, p) => n + p.length, 0);
  }
}
