/**
 * Where `max_memory: 40%` becomes bytes: a percentage of the memory limit of the cgroup
 * ringmaster runs in (src/sys/cgroup.ts memoryLimit, the tightest on its path). As with
 * `numprocesses: auto` (process-count.ts), the config keeps the percentage
 * (max_memory_percent) and the init resolves it on the config it starts with and on each
 * reloaded one, so a changed limit is picked up by a reload. With no limit there is
 * nothing to take a percentage of: a config error for the init (at start, or a refused
 * reload), a warning for `ringmaster check`, which may run outside the container.
 */
import { ConfigError } from '../config/errors.js';
import { deepFreeze } from '../config/freeze.js';
import { formatBytes } from '../config/memory-size.js';
import type { Config, ConfigIssue, WatcherConfig } from '../config/types.js';
import { memoryLimit } from '../sys/cgroup.js';

export type MemoryLimitReader = () => { bytes: number; version: 1 | 2 } | undefined;

/**
 * The config with every percentage max_memory resolved to bytes (max_memory_source says
 * from what), and one issue per watcher whose percentage has no limit to apply to (its
 * max_memory stays 0: off). The same object back when no watcher has a percentage.
 */
export function memoryLimits(config: Config, read: MemoryLimitReader = memoryLimit): { config: Config; issues: ConfigIssue[] } {
  if (!config.watchers.some((w) => w.max_memory_percent !== undefined)) return { config, issues: [] };
  const limit = read();
  const issues: ConfigIssue[] = [];
  const where = config.source.files.length > 0 ? ` (${config.source.files.join(', ')})` : '';
  const watchers = config.watchers.map((w): WatcherConfig => {
    const pct = w.max_memory_percent;
    if (pct === undefined) return w;
    if (limit === undefined) {
      const message =
        `watchers.${w.name}.max_memory: ${pct}% of the container memory limit, but ringmaster's cgroup has none${where}; ` +
        'set a memory limit (resources.limits.memory in Kubernetes, --memory in Docker) or give max_memory in bytes (512Mi, 1G)';
      issues.push({ path: `watchers.${w.name}.max_memory`, message, pos: undefined, value: `${pct}%`, code: 'RM_CONFIG_VALUE' });
      return w;
    }
    const bytes = Math.floor((limit.bytes * pct) / 100);
    return { ...w, max_memory: bytes, max_memory_source: `${pct}% of the cgroup v${limit.version} memory limit ${formatBytes(limit.bytes)}` };
  });
  return { config: deepFreeze({ ...config, watchers }), issues };
}

/** memoryLimits for the init: a percentage with no limit refuses the config (ConfigError). */
export function resolveMemoryLimits(config: Config, read: MemoryLimitReader = memoryLimit): Config {
  const r = memoryLimits(config, read);
  if (r.issues.length > 0) throw new ConfigError(r.issues);
  return r.config;
}

/** `512 MiB`, `409.6 MiB (40% of the cgroup v1 memory limit 1 GiB)`, or undefined when off. */
export function describeMaxMemory(w: Pick<WatcherConfig, 'max_memory' | 'max_memory_source'>): string | undefined {
  if (w.max_memory === 0) return undefined;
  return w.max_memory_source === undefined ? formatBytes(w.max_memory) : `${formatBytes(w.max_memory)} (${w.max_memory_source})`;
}
