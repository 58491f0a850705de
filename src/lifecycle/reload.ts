/**
 * What a reload changes: the difference between the running config and the new one,
 * as the smallest set of actions. Pure: config in, plan out.
 *
 * - A socket whose options are the same is kept open (its fd and queue stay put).
 * - A watcher whose options are the same except numprocesses is scaled, not restarted.
 * - A watcher whose options changed, or that uses a socket that changed, is restarted
 *   (rolling, so it keeps serving).
 * - Global options that only take effect at start (user, group, http_*, control_socket,
 *   subreaper...) are listed so that the log can say a restart is needed.
 */
import type { Config, SocketConfig, WatcherConfig } from '../config/types.js';

export interface ReloadPlan {
  socketsAdded: SocketConfig[];
  socketsRemoved: string[];
  /** same name, other options: bound anew, the old one closed once its watchers moved */
  socketsChanged: SocketConfig[];
  watchersAdded: WatcherConfig[];
  watchersRemoved: string[];
  watchersRestarted: WatcherConfig[];
  watchersScaled: Array<{ name: string; numprocesses: number }>;
  /** global options that changed but apply only at start */
  needsRestart: string[];
  /** ringmaster options that apply at once (graceful_timeout, drain_delay, warmup_delay, loglevel) */
  globalChanged: string[];
}

const START_ONLY = ['user', 'group', 'http_host', 'http_port', 'control_socket', 'subreaper', 'umask', 'log_format'] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function isEmpty(p: ReloadPlan): boolean {
  return (
    p.socketsAdded.length + p.socketsRemoved.length + p.socketsChanged.length + p.watchersAdded.length + p.watchersRemoved.length +
      p.watchersRestarted.length + p.watchersScaled.length + p.globalChanged.length ===
    0
  );
}

export function planReload(old: Config, next: Config): ReloadPlan {
  const oldSockets = new Map(old.sockets.map((s) => [s.name, s]));
  const newSockets = new Map(next.sockets.map((s) => [s.name, s]));
  const socketsAdded = next.sockets.filter((s) => !oldSockets.has(s.name));
  const socketsRemoved = old.sockets.filter((s) => !newSockets.has(s.name)).map((s) => s.name);
  const socketsChanged = next.sockets.filter((s) => oldSockets.has(s.name) && !same(oldSockets.get(s.name), s));
  const changedNames = new Set(socketsChanged.map((s) => s.name));

  const key = (n: string): string => n.toLowerCase();
  const oldWatchers = new Map(old.watchers.map((w) => [key(w.name), w]));
  const newWatchers = new Map(next.watchers.map((w) => [key(w.name), w]));
  const watchersAdded = next.watchers.filter((w) => !oldWatchers.has(key(w.name)));
  const watchersRemoved = old.watchers.filter((w) => !newWatchers.has(key(w.name))).map((w) => w.name);
  const watchersRestarted: WatcherConfig[] = [];
  const watchersScaled: ReloadPlan['watchersScaled'] = [];
  for (const w of next.watchers) {
    const before = oldWatchers.get(key(w.name));
    if (!before) continue;
    const usesChangedSocket = w.sockets.some((s) => changedNames.has(s.toLowerCase()));
    if (usesChangedSocket || !same({ ...before, numprocesses: 0 }, { ...w, numprocesses: 0 })) watchersRestarted.push(w);
    else if (before.numprocesses !== w.numprocesses) watchersScaled.push({ name: w.name, numprocesses: w.numprocesses });
  }
  const needsRestart = START_ONLY.filter((k) => !same(old.ringmaster[k], next.ringmaster[k]));
  const globalChanged = (Object.keys(next.ringmaster) as Array<keyof Config['ringmaster']>).filter(
    (k) => !(START_ONLY as readonly string[]).includes(k) && !same(old.ringmaster[k], next.ringmaster[k]),
  );
  return { socketsAdded, socketsRemoved, socketsChanged, watchersAdded, watchersRemoved, watchersRestarted, watchersScaled, needsRestart, globalChanged };
}

/** One line for the log and `ctl reload`. */
export function describePlan(p: ReloadPlan): string {
  const parts: string[] = [];
  const list = (label: string, names: string[]): void => {
    if (names.length > 0) parts.push(`${label}: ${names.join(', ')}`);
  };
  list('sockets added', p.socketsAdded.map((s) => s.name));
  list('sockets removed', p.socketsRemoved);
  list('sockets changed', p.socketsChanged.map((s) => s.name));
  list('watchers added', p.watchersAdded.map((w) => w.name));
  list('watchers removed', p.watchersRemoved);
  list('watchers restarted', p.watchersRestarted.map((w) => w.name));
  list('watchers scaled', p.watchersScaled.map((w) => `${w.name}=${w.numprocesses}`));
  list('options', p.globalChanged);
  return parts.length === 0 ? 'no change' : parts.join('; ');
}
