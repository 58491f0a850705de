/**
 * The workers of one watcher, as a set: spawning one (worker-launch.ts), draining their
 * notify channels (one NotifyPoller), and what follows an exit whatever the watcher then
 * decides: the exit counted and emitted with its cause, the leftovers of its process group
 * stopped. Whether to respawn, and FATAL, are the watcher's (watcher.ts, respawn.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WatcherConfig } from '../config/types.js';
import { isResourceError } from './backoff.js';
import { noOomCheck, realSpawner, realWorkerSys } from './edges.js';
import type { ExitCause } from './events.js';
import { LeftoverGroups } from './leftovers.js';
import type { ExitOutcome } from './process.js';
import { NotifyPoller } from './readiness.js';
import { reasonOf, type ExitReason, type WatcherHost, type WatcherStatus, type WorkerIds } from './watcher-status.js';
import { causeOf, Worker, type WorkerHost, type WorkerRole } from './worker.js';
import { launch } from './worker-launch.js';

export interface PoolHost {
  readonly host: WatcherHost;
  /** what a worker sees of its watcher */
  readonly core: WorkerHost;
  /** the watcher's run: its workers' timers hang off it */
  readonly signal: AbortSignal;
  readonly ids: WorkerIds;
  /** the watcher wants its workers running (an exit then is no stop) */
  running(): boolean;
  /** `wid` has a pid */
  spawned(wid: number): void;
  /** after the exit was counted and emitted */
  exited(worker: Worker, outcome: ExitOutcome, cause: ExitCause): void;
}

export class WorkerPool {
  readonly #host: PoolHost;
  /** by Worker.id */
  readonly #workers = new Map<number, Worker>();
  #serial = 0;
  /** notify datagrams dropped because their sender was not a worker or one of its descendants */
  notifyRejected = 0;
  /** process groups whose leader exited and that still have members being stopped */
  readonly #leftovers: LeftoverGroups;
  readonly #poller: NotifyPoller;

  constructor(host: PoolHost) {
    this.#host = host;
    this.#leftovers = new LeftoverGroups(host.host.log);
    this.#poller = new NotifyPoller(host.core.timers, {
      channels: () => this.count((w) => w.notify !== undefined),
      waiting: () => this.count((w) => w.awaitingNotify) > 0,
      watchdogSec: () => host.core.config.watchdog_sec,
      drain: () => {
        const now = host.core.now();
        let rejected = 0;
        for (const w of this.#workers.values()) rejected += w.drainNotify(now);
        this.notifyRejected += rejected;
        return rejected;
      },
    });
  }

  get size(): number {
    return this.#workers.size;
  }

  /** every worker, by wid */
  list(): Worker[] {
    return [...this.#workers.values()].sort((a, b) => a.wid - b.wid);
  }

  count(pred: (w: Worker) => boolean): number {
    let n = 0;
    for (const w of this.#workers.values()) if (pred(w)) n++;
    return n;
  }

  /** some worker holds `wid` */
  has(wid: number): boolean {
    for (const w of this.#workers.values()) if (w.wid === wid && w.holdsWid) return true;
    return false;
  }

  spawn(config: WatcherConfig, wid: number, role: WorkerRole): Worker {
    const id = ++this.#serial;
    const x = this.#host;
    const worker = launch(config, wid, x.host, {
      ids: x.ids,
      sys: x.host.sys ?? realWorkerSys,
      spawner: x.host.spawner ?? realSpawner,
      timers: x.core.timers,
      onExit: (outcome) => this.#onExit(id, outcome),
      track: (proc, notify) => {
        const w = new Worker(id, wid, proc, notify, role, x.core, x.signal);
        this.#workers.set(id, w);
        return w;
      },
      spawned: (w) => {
        x.core.emit({ type: 'worker.spawned', watcher: config.name, wid, pid: w.pid as number });
        x.spawned(wid);
      },
    });
    if (worker.notify) this.#poller.schedule();
    return worker;
  }

  /** SIGKILL every worker and every leftover group now. */
  destroy(): void {
    for (const w of this.#workers.values()) w.destroy();
    this.#leftovers.kill();
  }

  /** Resolves once every worker has exited and every leftover group is gone. */
  async drained(): Promise<void> {
    while (this.#workers.size > 0 || this.#leftovers.size > 0) {
      const workers = [...this.#workers.values()].map((w) => w.done.then(() => this.#stopLeftovers(w)));
      await Promise.all([...workers, ...this.#leftovers.pending]);
    }
  }

  #onExit(id: number, outcome: ExitOutcome): void {
    const w = this.#workers.get(id);
    if (!w) return;
    this.#workers.delete(id);
    const before = w.exited(outcome);
    void this.#stopLeftovers(w);
    const x = this.#host;
    const c = x.core.config;
    const { wid, pid } = w;
    const exited = { type: 'worker.exited', watcher: c.name, wid, pid, outcome } as const;
    const cause = causeOf(before, w.role, x.running());
    const reason = cause === 'stopped' ? 'stopped' : reasonOf(outcome, x.host.oom ?? noOomCheck, c.success_exit_codes);
    if (cause === 'stopped') {
      x.core.emit({ ...exited, reason, cause });
    } else if (cause === 'rollout') {
      // the rollout sees it (not ready) and keeps the old worker of this wid
      x.core.emit({ ...exited, reason, cause });
    } else if (outcome.kind === 'spawn-failed' && isResourceError(outcome.code) && c.respawn !== 'never') {
      x.core.emit({ ...exited, reason, cause: 'shortage' });
      return x.exited(w, outcome, 'shortage');
    } else if (outcome.kind === 'spawn-failed') {
      // libuv reports a missing working directory as the command's ENOENT: tell them apart.
      const cwd = x.host.cwd;
      const dir = c.working_dir === undefined ? cwd : resolve(cwd, c.working_dir);
      const message = outcome.code === 'ENOENT' && !existsSync(dir) ? `working_dir ${dir} does not exist` : outcome.message;
      x.core.emit({ ...exited, reason, cause, message, command: c.cmd });
    } else {
      x.core.emit({ ...exited, reason, cause });
    }
    x.exited(w, outcome, cause);
  }

  /** KillMode=control-group: once a worker has exited, what it left in its process group is stopped too. */
  #stopLeftovers(w: Worker): Promise<unknown> {
    const c = this.#host.core.config;
    const left = w.proc.leftovers(c.stop_signal as NodeJS.Signals, c.graceful_timeout * 1000);
    return this.#leftovers.sweep(left, { watcher: c.name, wid: w.wid, pgid: w.pid, signal: c.stop_signal }, c.graceful_timeout);
  }
}
