import type { Logger } from '../base/logger.js';
import type { StateDir } from '../state/state-dir.js';
import type { Project } from './project.js';
import { captureProject, isProjectState, restoreProject } from './project-state.js';
import type { SavedInputs } from './saved-inputs.js';
import type { InputStore } from '../procchain/input-store.js';

/** The file in the state directory that holds the project. */
export const PROJECT_JSON = 'project.json';

const RETRY_MS = 1000;

/** Options of a StateSaver. */
export interface StateSaverOptions {
  /** Quiet time after a change before the snapshot is saved; default 100 ms. */
  debounceMs?: number;
}

/**
 * Keeps the project saved in the state directory. A change is acknowledged only once it is stored: commit()
 * saves the snapshot (and the stored inputs it names) with fsync and resolves when it is on disk; changes that
 * come while a save runs are stored together by the next one (group commit). What is busy (an `in` a writer
 * holds open) is saved when it is closed, or after RETRY_MS.
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

  constructor(private readonly project: Project, private readonly state: StateDir, private readonly inputs: SavedInputs,
    private readonly logger: Logger, private readonly options: StateSaverOptions = {}) {}

  /** Restores the saved project, if any (before the mount serves anything). */
  async restore(): Promise<boolean> {
    const saved = await this.state.loadJson(PROJECT_JSON);
    if (saved === undefined) return false;
    if (!isProjectState(saved)) {
      this.logger.error(`state: ${this.state.path(PROJECT_JSON)}: expected a version 1 project snapshot, got something else; starting empty`);
      return false;
    }
    await restoreProject(this.project, saved, this.inputs);
    this.logger.info(`state: project restored from ${this.state.path(PROJECT_JSON)} (${saved.chains.length} chains)`);
    return true;
  }

  /** A change happened: it is saved by the next commit (at the latest after the quiet time). */
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
    if (options.store) this.forced.add(options.store);
    this.dirty = true;
    this.next ??= this.saving.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.save();
    });
    this.saving = this.next;
    return this.next;
  }

  /** Saves now if anything changed, and waits for it. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    if (this.dirty) await this.commit().catch(() => undefined);
    else await this.saving.catch(() => undefined);
  }

  /** Saves what is pending and stops listening. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** A store was busy (a writer open) or changed while it was copied, or the save failed: try again later. */
  private retry(): void {
    if (this.closed) return;
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
    try {
      const { state, current, ids } = await captureProject(this.project, this.inputs, forced);
      await this.state.saveJson(PROJECT_JSON, state);
      await this.inputs.prune(ids);
      if (!current) this.retry();
    } catch (err) {
      for (const s of forced) this.forced.add(s);
      this.retry();
      this.logger.error(`state: saving the project failed, the last saved state stays: ${(err as Error).message}`);
      throw err;
    }
  }
}
