/**
 * A watcher's respawns: the count of quick failures in a row (FATAL past max_retry), the
 * backoff before each respawn, the retries after resource shortages, and the pending
 * respawn timers (on the watcher's run signal, so a stop cancels them all).
 *
 *   exit --uptime >= backoff_reset--> failures = 1 --> respawn at once
 *   exit --quick--> failures + 1 --<= max_retry--> respawn after backoffDelay(failures)
 *                                 --> max_retry--> fatal (the watcher stops respawning)
 *   spawn failed for want of a resource --> retry after resourceRetryDelay, nothing counted
 *
 * Which exits are respawned at all is the watcher's `respawn` policy (completes() below):
 *
 *   policy       exit code in success_exit_codes   other code, signal, spawn failure
 *   always       respawned (counted, as a failure)  respawned (counted)
 *   on-failure   completed: slot ends, not counted  respawned (counted)
 *   never        completed: slot ends, not counted  slot ends (missing; not counted)
 */
import type { WatcherConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay, resourceRetryDelay, type BackoffPolicy } from './backoff.js';
import { later, type Timers } from './edges.js';
import type { EventInput } from './events.js';
import { assertNever, type ExitOutcome } from './process.js';
import { Shortage } from './shortage.js';
import { describe } from './watcher-status.js';

export interface RespawnHost {
  readonly config: WatcherConfig;
  readonly log: Logger;
  readonly timers: Timers;
  /** the watcher's run: aborted by stop() and destroy() */
  readonly signal: AbortSignal;
  now(): number;
  random?: () => number;
  emit(event: EventInput): void;
  /** the watcher still wants a worker for `wid` (running, none there, within numprocesses) */
  wants(wid: number): boolean;
  spawn(wid: number): void;
}

/**
 * The exit code when `outcome` completes its slot under the watcher's policy (on-failure or
 * never, and a code in success_exit_codes), else undefined: a death by a signal and a
 * spawn that failed are never a success.
 */
export function completes(c: Pick<WatcherConfig, 'respawn' | 'success_exit_codes'>, outcome: ExitOutcome): number | undefined {
  if (outcome.kind !== 'exited' || !isSuccess(c, outcome.code)) return undefined;
  switch (c.respawn) {
    case 'always':
      return undefined;
    case 'on-failure':
    case 'never':
      return outcome.code;
    default:
      return assertNever(c.respawn);
  }
}

/** `code` is one of the watcher's success_exit_codes (default [0]). */
export function isSuccess(c: Pick<WatcherConfig, 'success_exit_codes'>, code: number): boolean {
  return (c.success_exit_codes ?? [0]).includes(code);
}

export class Respawner {
  readonly #host: RespawnHost;
  /** pending respawns, by wid: their cancel functions */
  readonly #pending = new Map<number, () => void>();
  /** wids being retried after resource errors */
  readonly shortage = new Shortage();
  failures = 0;

  constructor(host: RespawnHost) {
    this.#host = host;
  }

  /** a respawn of `wid` is pending */
  has(wid: number): boolean {
    return this.#pending.has(wid);
  }

  /** The watcher stops: no pending respawn, no shortage (the timers go with its run signal). */
  cancel(): void {
    for (const c of this.#pending.values()) c();
    this.#pending.clear();
    this.shortage.clear();
  }

  /**
   * An unexpected exit of a worker that ran `uptime` seconds: schedule its respawn, or
   * return why the watcher is FATAL.
   */
  failed(wid: number, uptime: number, outcome: ExitOutcome): { fatal: string } | undefined {
    const c = this.#host.config;
    if (uptime >= c.backoff_reset) this.failures = 0;
    this.failures++;
    if (c.max_retry >= 0 && this.failures > c.max_retry) {
      return { fatal: `${this.failures} quick failures in a row (max_retry = ${c.max_retry}); last: ${JSON.stringify(describe(outcome))}` };
    }
    const delay = backoffDelay(this.failures, this.#policy(), this.#host.random);
    this.#host.emit({ type: 'worker.respawn_scheduled', watcher: c.name, wid, delaySeconds: delay });
    this.#after(wid, delay, true);
    return undefined;
  }

  /**
   * A spawn or setup failed for want of a resource: try again after the backoff, without a
   * failure counted. Logged when an episode starts and when it ends, not at every try.
   */
  short(wid: number, outcome: Extract<ExitOutcome, { kind: 'spawn-failed' }>): void {
    const host = this.#host;
    const { tries, began } = this.shortage.fail(wid, outcome.code, host.now());
    if (began) {
      const message = `worker could not be started: ${outcome.message}: out of a system resource; retrying with backoff until it can (not counted toward max_retry)`;
      host.log.error(message, { watcher: host.config.name, wid, error: outcome.code });
    }
    this.#after(wid, resourceRetryDelay(tries, this.#policy(), host.random), false);
  }

  /** `wid` started, or is no longer wanted: its resource retries are over. */
  started(wid: number): void {
    const e = this.shortage.done(wid);
    const host = this.#host;
    if (e) host.log.info('workers start again after resource errors', { watcher: host.config.name, error: e.error, tries: e.tries, seconds: Math.round(host.now() - e.since) / 1000 });
  }

  #policy(): BackoffPolicy {
    const c = this.#host.config;
    return { initial: c.backoff_initial, multiplier: c.backoff_multiplier, max: c.backoff_max, jitter: c.backoff_jitter };
  }

  /** Spawn `wid` again after `delay` seconds, unless it is no longer wanted by then. */
  #after(wid: number, delay: number, restart: boolean): void {
    const respawn = (): void => {
      this.#pending.delete(wid);
      if (!this.#host.wants(wid)) return this.started(wid);
      if (restart) this.#host.emit({ type: 'worker.respawning', watcher: this.#host.config.name, wid });
      this.#host.spawn(wid);
    };
    if (delay === 0) respawn();
    else this.#pending.set(wid, later(this.#host.timers, delay * 1000, this.#host.signal, respawn));
  }
}
