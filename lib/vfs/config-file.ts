import { formatConfig } from '../config/format-config.js';
import type { LiveConfig } from '../studio/live-config.js';
import { LineFile } from './line-file.js';

/** The /config file (mode 0600): YAML in, applied whole at close; invalid text fails the close with EINVAL. */
export function configFile(live: LiveConfig): LineFile {
  return new LineFile({
    mode: 0o600,
    whole: true,
    // Its file may be edited behind the mount's back (the watcher applies it).
    live: true,
    undeletable: '/config is the machine\'s settings, not part of a project (an archive never replaces it; write it to change it)',
    read: () => formatConfig(live.current, { masked: true }),
    apply: (text) => live.applyText(text, '/config'),
  });
}
