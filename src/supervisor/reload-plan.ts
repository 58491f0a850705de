/**
 * What a reload changes: the difference between the running config and the new one,
 * as the smallest set of actions. Pure: config in, plan out.
 *
 * - A socket whose options are the same is kept open (its fd and queue stay put); one whose
 *   backlog or unix file mode/owner changed is updated in place, still the same fd.
 * - A socket whose address changed is bound anew, and its watchers roll onto it. A new
 *   socket at an address ringmaster still holds (same port or path, other options) cannot
 *   be bound before the old one is closed: the reload is refused with the reason.
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
  /** same name, another address: bound anew, the old one closed once its watchers moved */
  socketsChanged: SocketConfig[];
  /** same name and address, only options a bound socket takes in place (SOCKET_IN_PLACE) */
  socketsUpdated: SocketConfig[];
  /** sockets that would have to be bound where ringmaster already holds a socket: why, one line each */
  socketsBlocked: string[];
  watchersAdded: WatcherConfig[];
  watchersRemoved: string[];
  watchersRestarted: WatcherConfig[];
  /** source: where an `auto` count came from (WatcherConfig.numprocesses_source) */
  watchersScaled: Array<{ name: string; numprocesses: number; source?: string | undefined }>;
  /** global options that changed but apply only at start */
  needsRestart: string[];
  /** ringmaster options that apply at once (graceful_timeout, drain_delay, warmup_delay, loglevel) */
  globalChanged: string[];
}

/** Socket options applied to the bound socket itself: listen() again, chmod/chown, or used only at bind time. */
const SOCKET_IN_PLACE: ReadonlySet<string> = new Set(['backlog', 'mode', 'owner', 'group', 'replace', 'umask']);

/** Where a socket is, as a user would write it. */
function addressOf(s: SocketConfig): string {
  return s.path ?? `${s.host.includes(':') && !s.host.startsWith('[') ? `[${s.host}]` : s.host}:${s.port}`;
}

const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]', '*']);

/** Whether binding `b` fails while `a` is bound (same path, or same fixed port on overlapping hosts). */
function overlaps(a: SocketConfig, b: SocketConfig): boolean {
  if (a.path !== undefined || b.path !== undefined) return a.path === b.path;
  if (a.port === 0 || b.port !== a.port || (a.type === 'SOCK_DGRAM') !== (b.type === 'SOCK_DGRAM')) return false;
  // An IPv6-only socket and an IPv4 one never share an address.
  const v6only = (s: SocketConfig): boolean => s.host.includes(':') && s.v6only === true;
  const v4 = (s: SocketConfig): boolean => !s.host.includes(':') && s.family !== 'AF_INET6';
  if ((v6only(a) && v4(b)) || (v6only(b) && v4(a))) return false;
  return a.host === b.host || WILDCARD.has(a.host) || WILDCARD.has(b.host);
}

const START_ONLY = ['user', 'group', 'http_host', 'http_port', 'control_socket', 'subreaper', 'umask', 'log_format'] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function isEmpty(p: ReloadPlan): boolean {
  return (
    p.socketsAdded.length + p.socketsRemoved.length + p.socketsChanged.length + p.socketsUpdated.length + p.socketsBlocked.length + p.watchersAdded.length + p.watchersRemoved.length +
      p.watchersRestarted.length + p.watchersScaled.length + p.globalChanged.length ===
    0
  );
}

export function planReload(old: Config, next: Config): ReloadPlan {
  const oldSockets = new Map(old.sockets.map((s) => [s.name, s]));
  const newSockets = new Map(next.sockets.map((s) => [s.name, s]));
  const socketsAdded = next.sockets.filter((s) => !oldSockets.has(s.name));
  const socketsRemoved = old.sockets.filter((s) => !newSockets.has(s.name)).map((s) => s.name);
  const socketsChanged: SocketConfig[] = [];
  const socketsUpdated: SocketConfig[] = [];
  const socketsBlocked: string[] = [];
  for (const s of next.sockets) {
    const before = oldSockets.get(s.name);
    if (!before || same(before, s)) continue;
    const keys = (Object.keys(s) as Array<keyof SocketConfig>).filter((k) => !same(before[k], s[k]));
    if (keys.every((k) => SOCKET_IN_PLACE.has(k))) socketsUpdated.push(s);
    else if (overlaps(before, s)) {
      const what = keys.filter((k) => !SOCKET_IN_PLACE.has(k)).join(', ');
      socketsBlocked.push(
        `socket "${s.name}": changing ${what} needs a new socket at ${addressOf(s)}, which ringmaster itself holds: restart ringmaster to apply it, or give the socket another ${s.path === undefined ? 'port' : 'path'}`,
      );
    } else socketsChanged.push(s);
  }
  // A socket to bind where another one we hold still is (renamed, or moved onto a port in use).
  for (const s of [...socketsAdded, ...socketsChanged]) {
    const holder = old.sockets.find((o) => o.name !== s.name && overlaps(o, s));
    if (holder) {
      socketsBlocked.push(
        `socket "${s.name}": ${addressOf(s)} is held by ringmaster's socket "${holder.name}" until the reload is done: restart ringmaster, or reload in two steps (remove "${holder.name}" first)`,
      );
    }
  }
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
    // numprocesses and where an `auto` one came from: a change there scales, it does not restart
    const count = { numprocesses: 0, numprocesses_source: undefined };
    if (usesChangedSocket || !same({ ...before, ...count }, { ...w, ...count })) watchersRestarted.push(w);
    else if (before.numprocesses !== w.numprocesses || before.numprocesses_source !== w.numprocesses_source) {
      watchersScaled.push({ name: w.name, numprocesses: w.numprocesses, ...(w.numprocesses_source === undefined ? {} : { source: w.numprocesses_source }) });
    }
  }
  const needsRestart = START_ONLY.filter((k) => !same(old.ringmaster[k], next.ringmaster[k]));
  const globalChanged = (Object.keys(next.ringmaster) as Array<keyof Config['ringmaster']>).filter(
    (k) => !(START_ONLY as readonly string[]).includes(k) && !same(old.ringmaster[k], next.ringmaster[k]),
  );
  return { socketsAdded, socketsRemoved, socketsChanged, socketsUpdated, socketsBlocked, watchersAdded, watchersRemoved, watchersRestarted, watchersScaled, needsRestart, globalChanged };
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
  list('sockets updated in place', p.socketsUpdated.map((s) => s.name));
  list('watchers added', p.watchersAdded.map((w) => w.name));
  list('watchers removed', p.watchersRemoved);
  list('watchers restarted', p.watchersRestarted.map((w) => w.name));
  list('watchers scaled', p.watchersScaled.map((w) => `${w.name}=${w.numprocesses}`));
  list('options', p.globalChanged);
  return parts.length === 0 ? 'no change' : parts.join('; ');
}
