/**
 * Reloads in sequence, and the watch on the config's files that asks for them. One runs at
 * a time: a reload asked for while one runs starts when it ends.
 *
 *   reload() --> load (read, parse, validate) --> plan --> apply (the arbiter's) --> done
 *                  |                                          |
 *                  +--fails--> failed                         +--refused--> failed (nothing changed)
 *
 * Each one is counted (`stats`, for `ctl status`) and ends in one report to the init
 * (ReloadReport), which says how it went.
 *
 * The file watch is started once the watchers are, and moved after a reload that changed the
 * config's files (an include added or gone).
 */
import type { Config } from '../config/types.js';
import { RingmasterError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import type { Arbiter } from '../supervisor/arbiter.js';
import { describePlan, isEmpty, planReload } from '../supervisor/reload-plan.js';
import type { ReloadStats } from './api.js';
import { watchConfigFiles, type WatchSpec } from './config-watch.js';

export interface ReloadHost {
  log: Logger;
  /** re-read the config from where it came from; null when it is gone */
  load?: () => Promise<Config | null>;
  /** what to watch for changes to a config */
  watch?: (config: Config) => WatchSpec[];
  /** the config in force */
  current(): Config;
  /** the arbiter that applies a reload; undefined when the init takes none now (it is not starting or running) */
  arbiter(): Pick<Arbiter, 'config' | 'apply'> | undefined;
  /** how a reload ended (counted in `stats` already): the init says so */
  report(r: ReloadReport): void;
}

/** How a reload ended. `changed` false: the new config changes nothing that runs; `keptOld`: watchers kept on their old config. */
export type ReloadReport = { ok: true; changed: boolean; summary: string; keptOld: string[] } | { ok: false; error: unknown };

function notRunning(): RingmasterError {
  return new RingmasterError('RM_CONFIG', 'not running: nothing to reload');
}

export class Reloads {
  readonly #host: ReloadHost;
  readonly #stats: ReloadStats = { success: 0, failure: 0, lastSuccessAt: Date.now(), lastError: undefined };
  #queue: Promise<string> | undefined;
  #unwatch: (() => void) | undefined;
  /** the config files being watched, as JSON */
  #watched = '';
  /** why the config on disk last failed to load: the file watch reports it once */
  #watchFailure: string | undefined;

  constructor(host: ReloadHost) {
    this.#host = host;
  }

  /** Reloads done and failed, for `ctl status` (a copy). */
  get stats(): ReloadStats {
    return { ...this.#stats };
  }

  #report(r: ReloadReport): void {
    const s = this.#stats;
    if (r.ok) {
      s.success++;
      s.lastSuccessAt = Date.now();
      s.lastError = undefined;
    } else {
      s.failure++;
      s.lastError = (r.error as Error).message;
    }
    this.#host.report(r);
  }

  /**
   * Re-read the config and apply the difference, after the reloads asked for before.
   *
   * `fromWatch`: the files named changed on disk. Then nothing is done (nor logged) when
   * the config that loads is the one in force (events also come for writes that change
   * nothing, and after a reload that ctl already did), and a broken config is reported
   * once, not at every event.
   */
  reload(fromWatch?: { changed: readonly string[] }): Promise<string> {
    const run = async (): Promise<string> => {
      const host = this.#host;
      let next: Config;
      try {
        next = await this.#load();
      } catch (err) {
        // The same broken config, seen again by the watch (after ctl or the watch itself reported it): said once.
        const message = (err as Error).message;
        if (fromWatch && message === this.#watchFailure) return 'unchanged';
        this.#watchFailure = message;
        this.#report({ ok: false, error: err });
        throw err;
      }
      this.#watchFailure = undefined;
      if (fromWatch) {
        if (JSON.stringify(next) === JSON.stringify(host.current())) return 'no change';
        host.log.info('configuration changed on disk: reloading', { files: fromWatch.changed.join(',') });
      }
      try {
        return await this.#apply(next);
      } catch (err) {
        this.#report({ ok: false, error: err });
        throw err;
      } finally {
        this.#rewatch();
      }
    };
    const next = (this.#queue ?? Promise.resolve('')).catch(() => '').then(run);
    this.#queue = next;
    return next;
  }

  /** Plan the reload and have the arbiter apply it; throws (having changed nothing) when it is refused. */
  async #apply(next: Config): Promise<string> {
    const log = this.#host.log;
    const arbiter = this.#host.arbiter();
    if (!arbiter) throw notRunning();
    for (const w of next.warnings) log.warn(w);
    const plan = planReload(arbiter.config, next);
    const summary = describePlan(plan);
    if (plan.needsRestart.length > 0) log.warn('reload: these options apply only at start; restart ringmaster to change them', { options: plan.needsRestart.join(',') });
    const changed = !isEmpty(plan);
    log.info(changed ? `reload: ${summary}` : 'reload: no change');
    const result = await arbiter.apply(plan, next);
    if (result.kind === 'refused') throw result.error;
    const keptOld = result.watchersKept.map((k) => k.name);
    this.#report({ ok: true, changed, summary, keptOld });
    return keptOld.length > 0 ? `${summary}; kept the old configuration of ${keptOld.join(', ')} (new workers not ready)` : summary;
  }

  /** The config on disk now: read, parsed and validated in slices (see loadConfigAsync), then one more turn before the plan. */
  async #load(): Promise<Config> {
    if (!this.#host.arbiter()) throw notRunning();
    const next = await this.#host.load?.();
    if (!next) throw new RingmasterError('RM_CONFIG', 'the configuration source is gone');
    await new Promise((resolve) => setImmediate(resolve));
    return next;
  }

  /** Reload when a watched config file changes (a ConfigMap swaps its ..data symlink). */
  watch(): void {
    const host = this.#host;
    const config = host.current();
    const specs = host.watch?.(config) ?? [];
    if (specs.length === 0 || !host.load) return;
    this.#watched = JSON.stringify(config.source.files);
    this.#unwatch = watchConfigFiles(specs, host.log, (changed) => {
      if (host.arbiter()) void this.reload({ changed }).catch(() => {});
    });
  }

  /** Stop watching. Idempotent. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** After a reload: watch again if the config's files changed (an include added or gone). */
  #rewatch(): void {
    if (!this.#unwatch) return;
    if (JSON.stringify(this.#host.current().source.files) === this.#watched) return;
    this.close();
    this.watch();
  }
}
