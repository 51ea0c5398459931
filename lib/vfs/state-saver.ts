import type { Logger } from '../base/logger.js';
import type { StateDir } from '../state/state-dir.js';
import type { Project } from './project.js';
import { captureProject, isProjectState, restoreProject } from './project-state.js';
import type { SavedInputs } from './saved-inputs.js';

/** The file in the state directory that holds the project. */
export const PROJECT_JSON = 'project.json';

const RETRY_MS = 1000;

/** Options of a StateSaver. */
export interface StateSaverOptions {
  /** Quiet time after a change before the snapshot is saved; default 100 ms. */
  debounceMs?: number;
}

/** Keeps the project saved in the state directory: a snapshot after each burst of changes, flushed at unmount. */
export class StateSaver {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
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

  /** A change happened: save after the quiet time. */
  schedule(): void {
    if (this.closed) return;
    this.dirty = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), this.options.debounceMs ?? 100);
  }

  /** Saves now if anything changed, and waits for it. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    await this.run();
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
    this.timer = setTimeout(() => void this.run(), RETRY_MS);
  }

  private run(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        const { state, current, ids } = await captureProject(this.project, this.inputs);
        await this.state.saveJson(PROJECT_JSON, state);
        await this.inputs.prune(ids);
        if (!current) this.retry();
      } catch (err) {
        this.retry();
        this.logger.error(`state: saving the project failed: ${(err as Error).message}`);
      }
    });
    return this.saving;
  }
}
