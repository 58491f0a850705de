/**
 * Where `numprocesses: auto` becomes a number: the one place that reads the cgroup for
 * the watchers' counts. The config keeps `auto` (numprocesses_auto, the factor); the init
 * calls resolveProcessCounts on the config it starts with and on each reloaded one, so a
 * changed CPU limit is picked up by a reload (as a scale, not a restart). `ringmaster
 * check` calls it too, to show what the init would run.
 */
import { deepFreeze } from '../config/freeze.js';
import type { Config, WatcherConfig } from '../config/types.js';
import { autoProcesses, cpuLimit, type CpuLimit } from '../sys/cgroup.js';

/**
 * The config with every `auto` watcher's numprocesses and numprocesses_source set.
 * The same object back when no watcher says `auto` (nothing read).
 */
export function resolveProcessCounts(config: Config, cpu: () => CpuLimit = cpuLimit): Config {
  if (!config.watchers.some((w) => w.numprocesses_auto !== undefined)) return config;
  const limit = cpu();
  const watchers = config.watchers.map((w): WatcherConfig => {
    if (w.numprocesses_auto === undefined) return w;
    const { n, source } = autoProcesses(w.numprocesses_auto, limit);
    return { ...w, numprocesses: n, numprocesses_source: source };
  });
  return deepFreeze({ ...config, watchers });
}

/** `2 (auto: cgroup v1 cpu limit 1.5 CPUs)`, or `3` for a number written as such. */
export function describeCount(w: Pick<WatcherConfig, 'numprocesses' | 'numprocesses_source'>): string {
  return w.numprocesses_source === undefined ? String(w.numprocesses) : `${w.numprocesses} (${w.numprocesses_source})`;
}
