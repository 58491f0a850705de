/**
 * A watcher's counters, as `ctl status` and /metrics show them, kept from its own events
 * (the same events `ctl events` streams and the log renders), so the three never disagree:
 * exits by reason, restarts, the last exit.
 */
import type { EventInput, RestartReason } from './events.js';
import type { ExitReason, WatcherStatus } from './watcher-status.js';

export class WatcherTally {
  readonly exits: Record<ExitReason, number> = { exited: 0, failed: 0, signaled: 0, oom: 0, spawn_failed: 0, stopped: 0 };
  /** respawns after unexpected exits (not resource retries, not rollouts) and max_memory replacements */
  restarts = 0;
  /** `restarts` by why */
  readonly restartsBy: Record<RestartReason, number> = { exit: 0, memory: 0 };
  lastExit: WatcherStatus['lastExit'];
  lastRestart: WatcherStatus['lastRestart'];

  /** Count one event of this watcher; `at` is the watcher's clock. */
  record(e: EventInput, at: number): void {
    switch (e.type) {
      case 'worker.exited':
        this.lastExit = { wid: e.wid, outcome: e.outcome, at, reason: e.reason };
        // a spawn retried for want of a resource is the system's shortage, counted apart
        if (e.cause !== 'shortage') this.exits[e.reason]++;
        return;
      case 'worker.respawning':
        this.#restart({ wid: e.wid, reason: 'exit', at });
        return;
      case 'worker.recycle':
        this.#restart({ wid: e.wid, reason: e.reason, at, rssBytes: e.rssBytes, limitBytes: e.limitBytes });
        return;
      default:
        return;
    }
  }

  #restart(r: NonNullable<WatcherStatus['lastRestart']>): void {
    this.restarts++;
    this.restartsBy[r.reason]++;
    this.lastRestart = r;
  }
}
