// Analyses cached as JSON by the sha256 of the file's content.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ANALYSIS_VERSION, type TrackAnalysis } from './analyze.js';

/** The cache directory: $AUDIOFS_STATE_DIR/dj-cache, else --cache, else $XDG_CACHE_HOME/audiofs-dj or ~/.cache/audiofs-dj. */
export function cacheDirectory(options: { env: NodeJS.ProcessEnv; cacheOption?: string }): string {
  if (options.env.AUDIOFS_STATE_DIR) return join(options.env.AUDIOFS_STATE_DIR, 'dj-cache');
  if (options.cacheOption) return options.cacheOption;
  return join(options.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'audiofs-dj');
}

/** The hex sha256 of a file's bytes: its cache key. */
export function contentHash(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A JSON store of analyses in one directory, one file per content hash. */
export class AnalysisCache {
  constructor(readonly directory: string) {}

  /** The file that holds a hash's analysis. */
  pathOf(hash: string): string {
    return join(this.directory, `${hash}.json`);
  }

  /** The cached analysis of a hash, or undefined when there is none or it is stale or unreadable. */
  async get(hash: string): Promise<TrackAnalysis | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.pathOf(hash), 'utf8')) as TrackAnalysis;
      return parsed.version === ANALYSIS_VERSION && Array.isArray(parsed.beats) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores an analysis (written to a temporary name, then renamed, so readers never see half a file). */
  async put(hash: string, analysis: TrackAnalysis): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const tmp = `${this.pathOf(hash)}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(analysis));
    await rename(tmp, this.pathOf(hash));
  }
}
