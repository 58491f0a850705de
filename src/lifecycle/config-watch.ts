/**
 * Watching the config on disk. A Kubernetes ConfigMap mount changes by swapping its `..data`
 * symlink inside the mounted directory, and editors replace files rather than write them in
 * place: so we watch directories, and let a burst of events settle before acting once.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';

/** What to watch for a config path: the directory (a ConfigMap swaps ..data inside it; an editor replaces the file). */
export function watchPathsFor(files: readonly string[]): string[] {
  return [...new Set(files.map((f) => dirname(f)))];
}

/**
 * Call `onSettled` once a burst of changes under `paths` has been quiet for `settleMs`.
 * Returns a function that stops watching. A path that cannot be watched is logged and skipped.
 */
export function watchPaths(paths: readonly string[], log: Logger, onSettled: () => void, settleMs = 300): () => void {
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  const onChange = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onSettled, settleMs);
    timer.unref();
  };
  for (const p of new Set(paths)) {
    try {
      const w = watch(p, { persistent: false }, onChange);
      w.on('error', () => {});
      watchers.push(w);
    } catch (err) {
      log.warn('cannot watch the configuration for changes', { path: p, error: (err as Error).message });
    }
  }
  return () => {
    if (timer) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
