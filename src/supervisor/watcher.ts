/**
 * A watcher: a pool of `numprocesses` workers running the same command on the same
 * sockets. Each worker has an id (wid 1..N) that a replacement takes over.
 *
 *   stopped --start()--> running --stop()/destroy()--> stopping --workers gone--> stopped
 *                         |   ^                            ^
 *                         |   +--start()/rollingRestart()--+-----------+
 *                         |                                            |
 *                         +-- more than max_retry quick failures --> fatal --stop()--> stopping
 *
 * A worker that exits while the watcher is running is respawned: at once after a
 * healthy run (uptime >= backoff_reset) or a first quick failure, then with exponential
 * backoff and jitter, up to backoff_max. The watcher reacts to the exit itself (libuv's
 * SIGCHLD), not on a periodic check. A spawn or setup that fails for want of a resource
 * (EMFILE, ENFILE, EAGAIN, ENOMEM) is retried with the same backoff and never counts toward
 * max_retry: the shortage is the system's, not the command's, and it passes. What a worker
 * leaves in its process group when it exits is stopped too (leftovers.ts).
 *
 * Each worker is a state machine (worker.ts), its readiness a probe (readiness.ts), a
 * rolling restart its own module (rollout.ts); spawning one is worker-launch.ts. What
 * happens is emitted as events (events.ts); the phase changes in #setPhase only. Every
 * timer hangs off one AbortController per run (start() to stop()/destroy()).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WatcherConfig } from '../config/types.js';
import { backoffDelay, isResourceError, resourceRetryDelay, type BackoffPolicy } from './backoff.js';
import { childController, later, realSpawner, realTimers, realWorkerSys, sleep, type Timers } from './edges.js';
import type { EventInput, RolloutResult } from './events.js';
import type { Leftovers } from './leftovers.js';
import type { ExitOutcome } from './process.js';
import { NotifyPoller } from './readiness.js';
import { rollout } from './rollout.js';
import { Shortage } from './shortage.js';
import { describe, reasonOf, resolveIds, statusOf, type ExitReason, type WatcherHost, type WatcherPhase, type WatcherStatus, type WorkerIds } from './watcher-status.js';
import { causeOf, Worker, type WorkerHost, type WorkerRole } from './worker.js';
import { launch } from './worker-launch.js';

export type { ExitReason, WatcherHost, WatcherPhase, WatcherStatus, WorkerStatus } from './watcher-status.js';
export { reasonOf } from './watcher-status.js';

export class Watcher {
  #config: WatcherConfig;
  readonly #host: WatcherHost;
  #phase: WatcherPhase = 'stopped';
  /** set while stop() or destroy() waits for the workers to exit */
  #stopping: Promise<void> | undefined;
  /** how many times stop() was called: a start() that waited for a stop gives way to a later one */
  #stops = 0;
  /** aborted by stop() and destroy(): every timer and sleep of this run */
  #run = new AbortController();
  /** by Worker.id */
  readonly #workers = new Map<number, Worker>();
  #serial = 0;
  /** pending respawns, by wid: their cancel functions */
  readonly #respawns = new Map<number, () => void>();
  #desired: number;
  #restarts = 0;
  #failures = 0;
  #fatalReason: string | undefined;
  #lastExit: WatcherStatus['lastExit'];
  #rollout: WatcherStatus['rollout'];
  readonly #exits: Record<ExitReason, number> = { exited: 0, failed: 0, signaled: 0, spawn_failed: 0, stopped: 0 };
  /** notify datagrams dropped because their sender was not a worker or one of its descendants */
  #notifyRejected = 0;
  #ids: WorkerIds;
  /** wids being retried after resource errors */
  readonly #shortage = new Shortage();
  /** process groups whose leader exited and that still have members being stopped */
  readonly #leftovers = new Set<Leftovers>();
  readonly #poller: NotifyPoller;
  readonly #workerHost: WorkerHost;

  constructor(config: WatcherConfig, host: WatcherHost) {
    this.#config = config;
    this.#host = host;
    this.#desired = config.singleton ? Math.min(1, config.numprocesses) : config.numprocesses;
    this.#ids = resolveIds(config);
    const timers = this.#timers;
    const self = this;
    this.#workerHost = {
      get config() {
        return self.#config;
      },
      log: host.log,
      timers,
      now: host.now,
      emit: (e) => this.#emit(e),
      onReady: (w) => host.onReady?.(this, w.wid),
    };
    this.#poller = new NotifyPoller(timers, {
      channels: () => this.#count((w) => w.notify !== undefined),
      waiting: () => this.#count((w) => w.awaitingNotify) > 0,
      watchdogSec: () => this.#config.watchdog_sec,
      drain: () => {
        const now = host.now();
        let rejected = 0;
        for (const w of this.#workers.values()) rejected += w.drainNotify(now);
        this.#notifyRejected += rejected;
        return rejected;
      },
    });
  }

  get config(): WatcherConfig {
    return this.#config;
  }

  get name(): string {
    return this.#config.name;
  }

  get phase(): WatcherPhase {
    return this.#phase;
  }

  /** The number of workers this watcher keeps running. */
  get desired(): number {
    return this.#desired;
  }

  /** Spawn the workers (warmup_delay apart). Resolves once all are spawned, or at a stop meanwhile. */
  async start(): Promise<void> {
    // A stop under way finishes first: its workers must not be taken for failed ones. A
    // stop asked for after this start, while it waited, wins.
    const asked = this.#stops;
    if (this.#stopping) await this.#stopping;
    if (this.#stops !== asked || this.#phase === 'running') return;
    if (this.#run.signal.aborted) this.#run = new AbortController();
    const signal = this.#run.signal;
    this.#failures = 0;
    this.#fatalReason = undefined;
    this.#setPhase('running');
    const warmup = this.#config.warmup_delay * 1000;
    for (let wid = 1; wid <= this.#desired; wid++) {
      if (signal.aborted || !this.#isRunning()) return;
      if (!this.#hasWid(wid)) this.#spawn(wid);
      if (warmup > 0 && wid < this.#desired && !(await sleep(this.#timers, warmup, signal))) return;
    }
  }

  /**
   * Stop every worker: stop_signal, then SIGKILL to its process group after
   * graceful_timeout. No respawn meanwhile. Resolves when all have exited.
   */
  stop(): Promise<void> {
    this.#stops++;
    if (this.#stopping) return this.#stopping;
    if (this.#phase === 'stopped') return Promise.resolve();
    this.#halt();
    for (const w of this.#workers.values()) void w.retire('stop');
    this.#stopping = this.#drain();
    return this.#stopping;
  }

  /** SIGKILL every worker's process group now; the phase is `stopped` once they are gone. */
  destroy(): void {
    if (this.#phase === 'stopped' && this.#workers.size === 0 && this.#leftovers.size === 0) return;
    this.#halt();
    for (const w of this.#workers.values()) w.destroy();
    for (const l of this.#leftovers) l.kill();
    this.#stopping ??= this.#drain();
  }

  /** Send a signal to every worker. Returns how many got it. */
  signal(signal: NodeJS.Signals): number {
    let n = 0;
    for (const w of this.#workers.values()) if (w.proc.signal(signal, this.#config.stop_children)) n++;
    return n;
  }

  /**
   * Set the number of workers. Running: missing wids are spawned at once, workers above
   * `n` are stopped gracefully (highest wids first). Returns the new number.
   */
  async scale(n: number): Promise<number> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`numprocesses must be an integer >= 0, got ${n}`);
    this.#desired = this.#config.singleton ? Math.min(1, n) : n;
    if (this.#phase !== 'running') return this.#desired;
    const extra = [...this.#workers.values()].filter((w) => w.wid > this.#desired && w.holdsWid).sort((a, b) => b.wid - a.wid);
    for (let wid = 1; wid <= this.#desired; wid++) if (!this.#hasWid(wid)) this.#spawn(wid);
    this.#emit({ type: 'watcher.scaled', watcher: this.name, numprocesses: this.#desired });
    await Promise.all(extra.map((w) => w.retire('scale')));
    return this.#desired;
  }

  /**
   * Replace every worker, `maxSurge` at a time: start the new one, wait until it is ready,
   * then stop the old one gracefully (rollout.ts). If a new worker is not ready in time (or
   * exits), it is stopped, the rollout ends there, the remaining old workers keep serving
   * and a wid left without a worker gets one. A watcher not running is started (from
   * FATAL: `failed` unless all its workers become ready).
   */
  async rollingRestart(maxSurge: number = this.#config.max_surge): Promise<RolloutResult> {
    const result = await this.#roll(maxSurge);
    if (result.kind !== 'done') this.fillMissing();
    return result;
  }

  /**
   * Take a new config and roll the workers onto it (a reload). When the rollout does not
   * finish, the old config is restored and missing wids are refilled with it: the watcher
   * keeps serving as before. A watcher not running only takes the config. The number of
   * workers is not changed (scale() does that). Throws (changing nothing) when the new
   * config's user or group does not resolve.
   */
  async reconfigure(next: WatcherConfig, opts: { maxSurge?: number } = {}): Promise<RolloutResult> {
    const before = this.#config;
    this.updateConfig(next);
    if (this.#phase !== 'running') return { kind: 'done', replaced: 0 };
    const result = await this.#roll(opts.maxSurge ?? next.max_surge);
    if (result.kind !== 'done') {
      this.updateConfig(before);
      this.fillMissing();
    }
    return result;
  }

  async #roll(maxSurge: number): Promise<RolloutResult> {
    if (this.#phase !== 'running') {
      // Nothing serves: start the new ones. From FATAL, say whether they got ready.
      const wasFatal = this.#phase === 'fatal';
      await this.start();
      const workers = [...this.#workers.values()];
      const ok = wasFatal ? await Promise.all(workers.map((w) => w.whenReady())) : [];
      const bad = workers[ok.indexOf(false)];
      if (!bad) return { kind: 'done', replaced: 0 };
      const message = `worker ${bad.wid} (pid ${bad.pid}) did not become ready (${this.#config.ready.kind})`;
      return { kind: 'failed', wid: bad.wid, pid: bad.pid, message, replaced: 0, kept: 0 };
    }
    const { controller, dispose } = childController(this.#run.signal);
    const serving = [...this.#workers.values()].filter((w) => w.holdsWid).sort((a, b) => a.wid - b.wid);
    const surge = Math.max(1, Math.floor(maxSurge));
    this.#rollout = { state: 'rolling', message: `replacing ${serving.length} workers, ${surge} at a time`, at: this.#host.now() };
    const pool = { name: this.name, check: this.#config.ready.kind, serving: () => serving, candidate: (wid: number) => this.#spawn(wid, 'probation'), emit: (e: EventInput) => this.#emit(e) };
    const result = await rollout(pool, surge, controller.signal).finally(dispose);
    const message = result.kind === 'done' ? `replaced ${result.replaced} workers` : result.message;
    this.#rollout = { state: result.kind === 'done' ? 'done' : 'failed', message, at: this.#host.now() };
    return result;
  }

  /**
   * Start a worker for every wid that has none (running watchers only). After a failed
   * rollout: an old worker that died on its own while its replacement was on probation left
   * its wid to that replacement, and then the replacement failed too.
   */
  fillMissing(): void {
    if (this.#phase !== 'running') return;
    for (let wid = 1; wid <= this.#desired; wid++) if (!this.#hasWid(wid) && !this.#respawns.has(wid)) this.#spawn(wid);
  }

  /** Take a new config (a reload); the running workers keep theirs until restarted. */
  updateConfig(config: WatcherConfig): void {
    this.#ids = resolveIds(config);
    this.#config = config;
  }

  status(): WatcherStatus {
    return statusOf(this.name, this.#phase, this.#desired, [...this.#workers.values()], {
      restarts: this.#restarts,
      exits: { ...this.#exits },
      failuresInARow: this.#failures,
      resourceRetries: this.#shortage.total,
      shortage: this.#shortage.status,
      notifyRejected: this.#notifyRejected,
      lastExit: this.#lastExit,
      fatalReason: this.#fatalReason,
      rollout: this.#rollout,
    });
  }

  /** pids of the running workers */
  pids(): number[] {
    return [...this.#workers.values()].map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  get #timers(): Timers {
    return this.#host.timers ?? realTimers;
  }

  #isRunning(): boolean {
    return this.#phase === 'running';
  }

  #count(pred: (w: Worker) => boolean): number {
    let n = 0;
    for (const w of this.#workers.values()) if (pred(w)) n++;
    return n;
  }

  #hasWid(wid: number): boolean {
    for (const w of this.#workers.values()) if (w.wid === wid && w.holdsWid) return true;
    return false;
  }

  #setPhase(phase: WatcherPhase): void {
    const from = this.#phase;
    if (from === phase) return;
    this.#phase = phase;
    this.#emit({ type: 'watcher.phase', watcher: this.name, phase, from });
  }

  #emit(e: EventInput): void {
    this.#host.events.emit(e);
  }

  /** No more respawns, timers or warm-up: the watcher is stopping. */
  #halt(): void {
    this.#setPhase('stopping');
    this.#run.abort();
    this.#respawns.clear();
    this.#shortage.clear();
  }

  /** Resolves once every worker has exited and every leftover group is gone; then `stopped`. */
  async #drain(): Promise<void> {
    while (this.#workers.size > 0 || this.#leftovers.size > 0) {
      const workers = [...this.#workers.values()].map((w) => w.done.then(() => this.#stopLeftovers(w)));
      await Promise.all([...workers, ...[...this.#leftovers].map((l) => l.done)]);
    }
    this.#stopping = undefined;
    if (this.#phase === 'stopping') this.#setPhase('stopped');
  }

  #spawn(wid: number, role: WorkerRole = 'member'): Worker {
    const id = ++this.#serial;
    const launched = launch(this.#config, wid, this.#host, {
      ids: this.#ids,
      sys: this.#host.sys ?? realWorkerSys,
      spawner: this.#host.spawner ?? realSpawner,
      timers: this.#timers,
      onExit: (outcome) => this.#onExit(id, outcome),
      track: (proc, notify) => this.#track(new Worker(id, wid, proc, notify, role, this.#workerHost, this.#run.signal)),
      spawned: (w) => {
        this.#emit({ type: 'worker.spawned', watcher: this.name, wid, pid: w.pid as number });
        this.#resourceDone(wid);
      },
    });
    if (launched.notify) this.#poller.schedule();
    return launched;
  }

  #track(w: Worker): Worker {
    this.#workers.set(w.id, w);
    return w;
  }

  #onExit(id: number, outcome: ExitOutcome): void {
    const w = this.#workers.get(id);
    if (!w) return;
    this.#workers.delete(id);
    const before = w.exited(outcome);
    void this.#stopLeftovers(w);
    const c = this.#config;
    const now = this.#host.now();
    const { wid, pid } = w;
    this.#lastExit = { wid, outcome, at: now };
    const exited = { type: 'worker.exited', watcher: c.name, wid, pid, outcome } as const;
    const cause = causeOf(before, w.role, this.#phase === 'running');
    if (cause === 'stopped') {
      this.#exits.stopped++;
      return this.#emit({ ...exited, reason: 'stopped', cause });
    }
    // A rollout's new worker: the rollout sees it (not ready) and keeps the old worker of this
    // wid: no respawn, and a bad new config does not count toward max_retry.
    if (cause === 'rollout') {
      this.#exits[reasonOf(outcome)]++;
      return this.#emit({ ...exited, reason: reasonOf(outcome), cause });
    }
    if (outcome.kind === 'spawn-failed' && isResourceError(outcome.code) && c.respawn) {
      this.#emit({ ...exited, reason: reasonOf(outcome), cause: 'shortage' });
      return this.#retryAfterShortage(wid, outcome);
    }
    this.#exits[reasonOf(outcome)]++;
    if (outcome.kind === 'spawn-failed') {
      // libuv reports a missing working directory as the command's ENOENT: tell them apart.
      const host = this.#host;
      const dir = c.working_dir === undefined ? host.cwd : resolve(host.cwd, c.working_dir);
      const message = outcome.code === 'ENOENT' && !existsSync(dir) ? `working_dir ${dir} does not exist` : outcome.message;
      this.#emit({ ...exited, reason: reasonOf(outcome), cause, message, command: c.cmd });
    } else {
      this.#emit({ ...exited, reason: reasonOf(outcome), cause });
    }
    this.#host.onUnexpectedExit?.(this, wid, outcome);
    if (this.#phase !== 'running' || !c.respawn) return;
    if ((now - w.startedAt) / 1000 >= c.backoff_reset) this.#failures = 0;
    this.#failures++;
    if (c.max_retry >= 0 && this.#failures > c.max_retry) {
      this.#fatalReason = `${this.#failures} quick failures in a row (max_retry = ${c.max_retry}); last: ${JSON.stringify(describe(outcome))}`;
      this.#setPhase('fatal');
      this.#emit({ type: 'watcher.fatal', watcher: c.name, reason: this.#fatalReason });
      this.#host.onFatal?.(this);
      return;
    }
    const delay = backoffDelay(this.#failures, this.#backoff(), this.#host.random);
    this.#emit({ type: 'worker.respawn_scheduled', watcher: c.name, wid, delaySeconds: delay });
    this.#respawnAfter(wid, delay, true);
  }

  #backoff(): BackoffPolicy {
    const c = this.#config;
    return { initial: c.backoff_initial, multiplier: c.backoff_multiplier, max: c.backoff_max, jitter: c.backoff_jitter };
  }

  /** Spawn `wid` again after `delay` seconds, unless it is no longer wanted by then. */
  #respawnAfter(wid: number, delay: number, restart: boolean): void {
    const respawn = (): void => {
      this.#respawns.delete(wid);
      if (this.#phase !== 'running' || this.#hasWid(wid) || wid > this.#desired) return this.#resourceDone(wid);
      if (restart) this.#restarts++;
      this.#spawn(wid);
    };
    if (delay === 0) respawn();
    else this.#respawns.set(wid, later(this.#timers, delay * 1000, this.#run.signal, respawn));
  }

  /**
   * A spawn or setup failed for want of a resource: try again after the backoff, without a
   * failure counted. Logged when an episode starts and when it ends, not at every try.
   */
  #retryAfterShortage(wid: number, outcome: Extract<ExitOutcome, { kind: 'spawn-failed' }>): void {
    const host = this.#host;
    const { tries, began } = this.#shortage.fail(wid, outcome.code, host.now());
    if (began) {
      const message = `worker could not be started: ${outcome.message}: out of a system resource; retrying with backoff until it can (not counted toward max_retry)`;
      host.log.error(message, { watcher: this.name, wid, error: outcome.code });
    }
    this.#respawnAfter(wid, resourceRetryDelay(tries, this.#backoff(), host.random), false);
  }

  /** `wid` started, or is no longer wanted: its resource retries are over. */
  #resourceDone(wid: number): void {
    const e = this.#shortage.done(wid);
    if (e) this.#host.log.info('workers start again after resource errors', { watcher: this.name, error: e.error, tries: e.tries, seconds: Math.round(this.#host.now() - e.since) / 1000 });
  }

  /** KillMode=control-group: once a worker has exited, what it left in its process group is stopped too. */
  #stopLeftovers(w: Worker): Promise<unknown> {
    const c = this.#config;
    const left = w.proc.leftovers(c.stop_signal as NodeJS.Signals, c.graceful_timeout * 1000);
    if (!left?.present) return Promise.resolve();
    if (!this.#leftovers.has(left)) {
      this.#leftovers.add(left);
      const fields = { watcher: c.name, wid: w.wid, pgid: w.pid, signal: c.stop_signal };
      const log = this.#host.log;
      log.warn("worker's process group outlived it: stopping what is left", fields);
      void left.done.then((o) => {
        this.#leftovers.delete(left);
        if (o.kind === 'killed') log.warn("worker's leftovers got SIGKILL after graceful_timeout", { ...fields, graceful_timeout: c.graceful_timeout });
        else if (o.kind === 'stuck') log.warn("worker's leftovers are still there after SIGKILL", fields);
        else log.info("worker's leftovers are gone", fields);
      });
    }
    return left.done;
  }
}
