/**
 * A watcher that runs `node --import ringmaster/preload` from a directory where that name
 * cannot resolve (no ringmaster in its node_modules, nor in a parent's: an app in /app with
 * ringmaster in /opt/ringmaster) has every worker exit with ERR_MODULE_NOT_FOUND before the
 * app runs, and goes FATAL. The worker's stderr is its own, so the init finds out by asking
 * the same question Node will: does `ringmaster/preload` resolve from the worker's working
 * directory? Asked when a config is loaded (a warning with the fix) and again when such a
 * watcher goes FATAL (the reason says why).
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Config, WatcherConfig } from './types.js';

const BARE = 'ringmaster/preload';

/** Whether `--import ringmaster/preload` (or `--import=`, `--loader`, `-r`...) is in these words. */
export function namesBarePreload(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const eq = /^--?[\w-]+=(.*)$/.exec(w);
    if (eq?.[1] === BARE) return true;
    if (w === BARE && i > 0 && (words[i - 1] as string).startsWith('-')) return true;
  }
  return false;
}

/** Whether `specifier` resolves from `dir` as Node resolves a package name (node_modules up the tree). */
export function resolvesFrom(dir: string, specifier: string = BARE): boolean {
  try {
    createRequire(join(dir, 'noop.js')).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why this watcher's workers cannot load the preload they name, with the fix; undefined when
 * they name no bare `ringmaster/preload`, or when it resolves from their working directory.
 * @param cwd where ringmaster was started (a relative working_dir is taken from it)
 */
export function barePreloadProblem(
  w: Pick<WatcherConfig, 'name' | 'argv' | 'env' | 'working_dir'>,
  cwd: string,
  resolves: (dir: string) => boolean = resolvesFrom,
): string | undefined {
  const nodeOptions = (w.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  const where = namesBarePreload(w.argv) ? 'cmd' : namesBarePreload(nodeOptions) ? 'env.NODE_OPTIONS' : undefined;
  if (where === undefined) return undefined;
  const dir = w.working_dir === undefined ? cwd : resolve(cwd, w.working_dir);
  if (resolves(dir)) return undefined;
  return (
    `watchers.${w.name}.${where}: "${BARE}" does not resolve from ${dir} (no ringmaster in its node_modules), ` +
    `so node exits with ERR_MODULE_NOT_FOUND before the app runs; write --import $(ringmaster.preload) ` +
    `(or "$RINGMASTER_PRELOAD" with shell: true), which names the preload of this ringmaster from any directory`
  );
}

/** The config's warnings plus one per watcher whose preload would not resolve; `config` itself when none. */
export function withPreloadWarnings(config: Config, cwd: string, resolves?: (dir: string) => boolean): Config {
  const more = config.watchers.map((w) => barePreloadProblem(w, cwd, resolves)).filter((x): x is string => x !== undefined);
  if (more.length === 0) return config;
  return Object.freeze({ ...config, warnings: Object.freeze([...config.warnings, ...more]) as string[] });
}
