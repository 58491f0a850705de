/**
 * Watching the config on disk. A Kubernetes ConfigMap mount changes by swapping its `..data`
 * symlink inside the mounted directory, and editors replace files rather than write them in
 * place: so we watch directories, and let a burst of events settle before acting once.
 *
 * Only events that can change the config count: those naming a config file (the main file,
 * its includes, or for a config directory any `*.yaml`, `*.yml`, `*.ini` in it) or `..data`.
 * An editor's rename (`x.yaml.tmp` -> `x.yaml`) names the config file as its target, so it
 * counts; a log file written beside the config does not, however busy.
 */
import { watch, type FSWatcher, realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log/logger.js';

/** A directory to watch, and which names in it are the config's. */
export interface WatchSpec {
  dir: string;
  /** whether a change to this name in `dir` can change the config (an event without a name always can) */
  relevant(name: string): boolean;
}

/** What kubelet swaps when a ConfigMap changes. */
const CONFIGMAP_LINK = '..data';

/** The files a config directory (`-c DIR`) reads: see config/sources.ts. */
export const isDirConfigName = (n: string): boolean => n === CONFIGMAP_LINK || (!n.startsWith('.') && /\.(ya?ml|ini)$/i.test(n));

/**
 * What to watch for a config: a config directory as a whole; otherwise the directory of
 * each file, for that file's name (and `..data`), and, for a file that is a symlink, the
 * directory and name of its target too (a change there names the target, not the link).
 */
export function watchSpecsFor(files: readonly string[], configDir?: string): WatchSpec[] {
  const byDir = new Map<string, Set<string>>();
  const add = (f: string): void => {
    const names = byDir.get(dirname(f)) ?? new Set([CONFIGMAP_LINK]);
    names.add(basename(f));
    byDir.set(dirname(f), names);
  };
  for (const f of files) {
    add(f);
    try {
      const real = realpathSync(f);
      if (real !== f) add(real);
    } catch {
      // gone now: its directory is watched for its return
    }
  }
  const specs: WatchSpec[] = [];
  if (configDir !== undefined) {
    byDir.delete(configDir);
    specs.push({ dir: configDir, relevant: isDirConfigName });
  }
  for (const [dir, names] of byDir) specs.push({ dir, relevant: (n) => names.has(n) });
  return specs;
}

export interface WatchOptions {
  /** quiet time after the last relevant event. @default 300 */
  settleMs?: number;
}

/**
 * Call `onSettled` with the names that changed, once a burst of relevant changes under the
 * watched directories has been quiet for `settleMs`. Events for other names are dropped
 * (each such name logged once, at debug level). Returns a function that stops watching. A
 * directory that cannot be watched is logged and skipped.
 */
export function watchConfigFiles(specs: readonly WatchSpec[], log: Logger, onSettled: (changed: string[]) => void, opts: WatchOptions = {}): () => void {
  const settleMs = opts.settleMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  const ignored = new Set<string>();
  const watchers: FSWatcher[] = [];
  const settled = (): void => {
    timer = undefined;
    const names = [...changed];
    changed = new Set();
    onSettled(names);
  };
  for (const spec of specs) {
    const onChange = (_event: string, name: string | Buffer | null): void => {
      const n = name === null ? null : String(name);
      const path = n === null ? spec.dir : `${spec.dir}/${n}`;
      if (n !== null && !spec.relevant(n)) {
        if (!ignored.has(path)) {
          if (ignored.size >= 1000) ignored.clear(); // rotated logs with dated names: bounded
          ignored.add(path);
          log.debug('config watch: not a configuration file, its changes are ignored', { path });
        }
        return;
      }
      changed.add(path);
      if (timer) clearTimeout(timer);
      timer = setTimeout(settled, settleMs);
      timer.unref();
    };
    try {
      const w = watch(spec.dir, { persistent: false }, onChange);
      w.on('error', () => {});
      watchers.push(w);
    } catch (err) {
      log.warn('cannot watch the configuration for changes', { path: spec.dir, error: (err as Error).message });
    }
  }
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
