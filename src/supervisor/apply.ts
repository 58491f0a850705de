/**
 * A reload's plan (reload-plan.ts) applied to the running supervisor, in four steps:
 *
 *   prepare --user and group names resolved, new sockets bound, new watchers made-->
 *   commit  --sockets updated in place and swapped, the new config in force-->
 *   move    --removed watchers stop, added ones start, changed ones roll, others scale-->
 *   close   --sockets nobody uses any more closed--> applied
 *
 *   prepare --anything fails--> refused (nothing changed)
 *   commit  --an in-place socket update fails--> refused (it undid itself; nothing changed)
 *
 * Everything that can fail is in the first two steps. A changed watcher whose new workers
 * do not become ready keeps its old config (its own rollout rolls back): the reload is
 * applied in part, and the next one tries that watcher again.
 */
import type { Config, WatcherConfig } from '../config/types.js';
import { RingmasterError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import type { RolloutResult } from './events.js';
import type { ReloadPlan } from './reload-plan.js';
import type { SocketChange, SocketPlan } from './socket-set.js';

/** What the apply needs of a watcher (Watcher has it). */
export interface ApplyWatcher {
  readonly name: string;
  readonly config: WatcherConfig;
  readonly desired: number;
  readonly desiredSource?: string | undefined;
  start(): Promise<void>;
  scale(n: number, source?: string): Promise<number>;
  /** roll onto `next`; on failure the watcher is back on its old config, every wid filled */
  reconfigure(next: WatcherConfig, opts?: { maxSurge?: number }): Promise<RolloutResult>;
}

/** What the apply needs of the supervisor (the Arbiter gives it). */
export interface ApplyTarget<W extends ApplyWatcher = ApplyWatcher> {
  readonly log: Logger;
  readonly sockets: { prepare(plan: SocketPlan): Promise<SocketChange> };
  /** the config in force: the apply sets it once the change is committed, and at the end */
  config: Config;
  get(name: string): W | undefined;
  /** Throws RingmasterError for what a watcher config cannot run with (an unknown user or group). */
  check(config: WatcherConfig): void;
  /** A watcher for a new config, not in the pool yet, nothing started. */
  make(config: WatcherConfig): W;
  /** Put a made watcher in the pool (not started). */
  insert(watcher: W): void;
  /** Stop a watcher and take it out of the pool. */
  remove(name: string): Promise<void>;
  /** Start the added watchers (autostart ones) as their depends_on allow; without it, each is started in turn. */
  startAdded?(made: W[]): Promise<void>;
}

/** A reload that was applied: what changed, by name, and what was kept. */
export interface Applied {
  kind: 'applied';
  /** the config in force now: the new one, but for the watchers in `watchersKept` */
  config: Config;
  socketsAdded: string[];
  socketsRemoved: string[];
  socketsChanged: string[];
  socketsUpdated: string[];
  watchersAdded: string[];
  watchersRemoved: string[];
  /** every restarted watcher with how its rollout ended */
  watchersRestarted: Array<{ name: string; result: RolloutResult }>;
  watchersScaled: Array<{ name: string; numprocesses: number; source?: string | undefined }>;
  /** restarted watchers whose new workers did not become ready: they run on `config`, their old one */
  watchersKept: Array<{ name: string; config: WatcherConfig; why: string }>;
  /** ringmaster options in force at once (graceful_timeout, drain_delay, ...) that changed */
  options: string[];
}

/**
 * How a reload ended. `refused`: a step that can fail did, and nothing changed; the error
 * names what and the fix (a socket that cannot be bound, an unknown user...).
 */
export type ApplyResult = Applied | { kind: 'refused'; error: RingmasterError };

/** Apply `plan` (from the config in force to `next`) to `target`. Throws only for a bug, or an OS failure no step turns into a refusal. */
export async function applyPlan<W extends ApplyWatcher>(target: ApplyTarget<W>, plan: ReloadPlan, next: Config): Promise<ApplyResult> {
  const staged = await prepare(target, plan);
  if (staged.kind === 'refused') return staged;
  const { sockets, made } = staged;
  // commit
  try {
    sockets.commit();
  } catch (err) {
    if (err instanceof RingmasterError) return { kind: 'refused', error: err };
    throw err;
  }
  for (const w of made) target.insert(w);
  target.config = next;
  // move
  await Promise.all(plan.watchersRemoved.map((name) => target.remove(name)));
  if (target.startAdded) await target.startAdded(made);
  else for (const w of made) if (w.config.autostart) await w.start();
  const restarted: Applied['watchersRestarted'] = [];
  const kept: Applied['watchersKept'] = [];
  for (const wc of plan.watchersRestarted) {
    const w = target.get(wc.name);
    if (!w) continue;
    const before = w.config;
    const result = await w.reconfigure(wc);
    restarted.push({ name: w.name, result });
    if (result.kind !== 'done') {
      kept.push({ name: wc.name, config: before, why: result.message });
      target.log.error('reload: the new workers did not become ready; the watcher keeps its old configuration', { watcher: wc.name });
      continue;
    }
    if (w.desired !== wc.numprocesses || w.desiredSource !== wc.numprocesses_source) await w.scale(wc.numprocesses, wc.numprocesses_source);
  }
  const scaled: Applied['watchersScaled'] = [];
  for (const s of plan.watchersScaled) {
    const w = target.get(s.name);
    if (!w) continue;
    await w.scale(s.numprocesses, s.source);
    scaled.push(s);
  }
  // close
  sockets.closeOld();
  if (kept.length > 0) {
    // What runs is the new config but for these watchers: the next reload tries them again.
    const old = new Map(kept.map((k) => [k.name, k.config]));
    target.config = { ...next, watchers: next.watchers.map((w) => old.get(w.name) ?? w) };
  }
  const names = (list: ReadonlyArray<{ name: string }>): string[] => list.map((x) => x.name);
  return {
    kind: 'applied',
    config: target.config,
    socketsAdded: names(plan.socketsAdded),
    socketsRemoved: [...plan.socketsRemoved],
    socketsChanged: names(plan.socketsChanged),
    socketsUpdated: names(plan.socketsUpdated),
    watchersAdded: names(made),
    watchersRemoved: [...plan.watchersRemoved],
    watchersRestarted: restarted,
    watchersScaled: scaled,
    watchersKept: kept,
    options: [...plan.globalChanged],
  };
}

/** Step one: everything that can fail, before anything changes. */
async function prepare<W extends ApplyWatcher>(
  target: ApplyTarget<W>,
  plan: ReloadPlan,
): Promise<{ kind: 'staged'; sockets: SocketChange; made: W[] } | { kind: 'refused'; error: RingmasterError }> {
  let sockets: SocketChange | undefined;
  try {
    if (plan.socketsBlocked.length > 0) throw new RingmasterError('RM_SOCKET', plan.socketsBlocked.join('; '));
    for (const wc of [...plan.watchersAdded, ...plan.watchersRestarted]) target.check(wc);
    sockets = await target.sockets.prepare(plan);
    const made = plan.watchersAdded.map((wc) => target.make(wc));
    return { kind: 'staged', sockets, made };
  } catch (err) {
    sockets?.abort();
    if (err instanceof RingmasterError) return { kind: 'refused', error: err };
    throw err;
  }
}
