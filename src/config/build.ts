/**
 * Validated data to a Config: defaults filled in, sockets sorted by name, watchers and
 * tasks in start order (priority descending, then name), plus the checks that span
 * sections (names unique case-insensitively, across watchers and tasks too; sockets that
 * watchers name; depends_on, in depends.ts).
 */
import { issue } from './errors.js';
import { buildSocket } from './build-socket.js';
import { buildTask } from './build-task.js';
import { buildWatcher } from './build-watcher.js';
import { resolveDependencies, type Dependent } from './depends.js';
import { envFilesAt } from './env-files.js';
import { newBudget } from './limits.js';
import { socketClashes } from './socket-clash.js';
import { GLOBAL_DEFAULTS } from './defaults.js';
import { didYouMean } from './suggest.js';
import { isMap, keyPosOf, posOf, type RawSource } from './tree.js';
import type { Config, ConfigIssue, GlobalConfig, SocketConfig, TaskConfig, WatcherConfig } from './types.js';

export interface Built {
  config: Config;
  issues: ConfigIssue[];
  warnings: string[];
}

/** Build a Config from the validated data of `src` (the result is not frozen yet). */
export function buildConfig(src: RawSource): Built {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const data = src.data;
  const ringmaster = { ...GLOBAL_DEFAULTS } as GlobalConfig;
  const g = isMap(data['ringmaster']) ? data['ringmaster'] : {};
  for (const key of Object.keys(GLOBAL_DEFAULTS) as Array<keyof GlobalConfig>) {
    if (g[key] !== undefined) (ringmaster as unknown as Record<string, unknown>)[key] = g[key];
  }
  const env = isMap(data['env']) ? (data['env'] as Record<string, string>) : {};
  // env_file: read at every build (load and reload); the global one below each section's
  const budget = newBudget();
  const globalFiles = envFilesAt(src, ['ringmaster', 'env_file'], g['env_file'], budget, issues);
  ringmaster.env_file = globalFiles.files;

  const sockets: SocketConfig[] = [];
  /** socket names as written, for positions */
  const written = new Map<string, string>();
  for (const [name, o] of Object.entries(isMap(data['sockets']) ? data['sockets'] : {})) {
    const lower = name.toLowerCase();
    if (sockets.some((s) => s.name === lower)) {
      const text = `sockets.${name}: socket names are case-insensitive and "${lower}" is defined twice; rename one`;
      issues.push(issue('RM_CONFIG_CONFLICT', `sockets.${name}`, text, keyPosOf(src, ['sockets', name]), name));
      continue;
    }
    sockets.push(buildSocket(lower, isMap(o) ? o : {}, src, issues, warnings));
    written.set(lower, name);
  }
  sockets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  issues.push(...socketClashes(sockets, (n) => keyPosOf(src, ['sockets', written.get(n) ?? n])));
  const socketNames = sockets.map((s) => s.name);

  const watchers: WatcherConfig[] = [];
  const byLowerName = new Map<string, WatcherConfig>(); // a lookup, not a scan per watcher: configs with thousands
  for (const [name, o] of Object.entries(isMap(data['watchers']) ? data['watchers'] : {})) {
    const twin = byLowerName.get(name.toLowerCase());
    if (twin) {
      const text = `watchers.${name}: watcher names are case-insensitive and "${twin.name}" is already defined; rename one`;
      issues.push(issue('RM_CONFIG_CONFLICT', `watchers.${name}`, text, keyPosOf(src, ['watchers', name]), name));
      continue;
    }
    const w = buildWatcher(name, isMap(o) ? o : {}, { src, socketNames, globalEnv: env, globalFiles, budget, issues, warnings });
    watchers.push(w);
    byLowerName.set(name.toLowerCase(), w);
  }
  watchers.sort(startOrder);

  const tasks: TaskConfig[] = [];
  const taskByLowerName = new Map<string, TaskConfig>();
  for (const [name, o] of Object.entries(isMap(data['tasks']) ? data['tasks'] : {})) {
    const lower = name.toLowerCase();
    const twin = taskByLowerName.get(lower);
    const watcher = byLowerName.get(lower);
    if (twin || watcher) {
      const text = twin
        ? `tasks.${name}: task names are case-insensitive and "${twin.name}" is already defined; rename one`
        : `tasks.${name}: watcher "${watcher?.name}" has this name (names are case-insensitive, and depends_on names either); rename one`;
      issues.push(issue('RM_CONFIG_CONFLICT', `tasks.${name}`, text, keyPosOf(src, ['tasks', name]), name));
      continue;
    }
    const t = buildTask(name, isMap(o) ? o : {}, { src, globalEnv: env, globalFiles, budget, issues });
    tasks.push(t);
    taskByLowerName.set(lower, t);
  }
  tasks.sort(startOrder);
  const dependents: Dependent[] = [
    ...watchers.map((config): Dependent => ({ kind: 'watcher', config })),
    ...tasks.map((config): Dependent => ({ kind: 'task', config })),
  ];
  issues.push(...resolveDependencies(dependents, src));
  const scaled = ringmaster.scale_watcher;
  if (scaled !== undefined && !watchers.some((w) => w.name.toLowerCase() === scaled.toLowerCase())) {
    const names = watchers.map((w) => w.name);
    const hint = didYouMean(scaled, names) || (names.length ? `; the watchers are ${names.join(', ')}` : '; define the watcher');
    const text = `ringmaster.scale_watcher names watcher "${scaled}", which is not defined${hint}`;
    issues.push(issue('RM_CONFIG_REFERENCE', 'ringmaster.scale_watcher', text, posOf(src, ['ringmaster', 'scale_watcher']), scaled));
  }

  const config: Config = {
    source: { format: src.format, files: [...src.files] },
    ringmaster,
    sockets,
    watchers,
    tasks,
    env: { ...env },
    warnings: [],
  };
  return { config, issues, warnings };
}

/** Priority descending, then name. */
function startOrder(a: { priority: number; name: string }, b: { priority: number; name: string }): number {
  return b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
