/**
 * A watcher: a pool of `numprocesses` workers running the same command on the same
 * sockets. Each worker has an id (wid 1..N) that a replacement takes over.
 *
 *   stopped --start()--> running --stop()--> stopping --all exited--> stopped
 *                           |
 *                           +-- more than max_retry quick failures in a row --> fatal
 *
 * A worker that exits while the watcher is running is respawned: at once after a
 * healthy run (uptime >= backoff_reset) or a first quick failure, then with exponential
 * backoff and jitter, up to backoff_max. The watcher reacts to the exit itself (libuv's
 * SIGCHLD), not on a periodic check. A spawn or setup that fails for want of a resource
 * (EMFILE, ENFILE, EAGAIN, ENOMEM) is retried with the same backoff and never counts toward
 * max_retry: the shortage is the system's, not the command's, and it passes. What a worker
 * leaves in its process group when it exits is stopped too (leftovers.ts).
 *
 * Also here: scaling, readiness (READY=1, HTTP, delay; the notify channels polled fast
 * only while someone waits), the watchdog, and readiness-gated rolling restarts.
 * Its status types live in watcher-status.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WatcherConfig } from '../config/types.js';
import { setRlimit } from '../sys/libc.js';
import { closeSockets } from '../sys/socket.js';
import { backoffDelay, isResourceError, resourceRetryDelay, type BackoffPolicy } from './backoff.js';
import type { Leftovers } from './leftovers.js';
import { Shortage } from './shortage.js';
import { pipeLines } from './output.js';
import { ManagedProcess, assertNever, type ExitOutcome } from './process.js';
import { expandPorts, waitHttpOk } from './http-check.js';
import { buildWorkerSpec } from './worker-spec.js';
import type { NotifyChannel } from './notify.js';
import type { RolloutResult } from './events.js';

interface Worker {
  /** unique per spawn: during a rolling restart two workers share a wid */
  id: number;
  wid: number;
  /** being stopped on purpose (scale down, rollout): its exit is not a failure */
  retiring: boolean;
  /** a rollout's new worker, until its batch is done: if it exits, the rollout fails; no respawn, no failure count */
  probation: boolean;
  /** resolved true when ready, false when it exits or its check times out */
  readyWaiters: Array<(ok: boolean) => void>;
  proc: ManagedProcess;
  startedAt: number;
  ready: boolean;
  readyFailed: boolean;
  statusText: string | undefined;
  mainPid: number | undefined;
  notify: NotifyChannel | undefined;
  /** when notify readiness gives up */
  readyDeadline: number | undefined;
  /** last sign of life for the watchdog (READY=1 or WATCHDOG=1) */
  lastWatchdog: number;
  timers: NodeJS.Timeout[];
}

import { describe, reasonOf, resolveIds, type WorkerIds, type ExitReason, type WatcherHost, type WatcherPhase, type WatcherStatus } from './watcher-status.js';

export type { ExitReason, WatcherHost, WatcherPhase, WatcherStatus, WorkerStatus } from './watcher-status.js';
export { reasonOf } from './watcher-status.js';

export class Watcher {
  #config: WatcherConfig;
  readonly #host: WatcherHost;
  #phase: WatcherPhase = 'stopped';
  /** set while stop() waits for the workers to exit */
  #stopping: Promise<void> | undefined;
  /** how many times stop() was called: a start() that waited for a stop gives way to a later one */
  #stops = 0;
  /** by Worker.id */
  readonly #workers = new Map<number, Worker>();
  #serial = 0;
  readonly #respawnTimers = new Map<number, NodeJS.Timeout>();
  #desired: number;
  #restarts = 0;
  #failures = 0;
  #fatalReason: string | undefined;
  #lastExit: WatcherStatus['lastExit'];
  #rollout: WatcherStatus['rollout'];
  readonly #exits: Record<ExitReason, number> = { exited: 0, failed: 0, signaled: 0, spawn_failed: 0, stopped: 0 };
  /** notify datagrams dropped because their sender was not a worker or one of its descendants */
  #notifyRejected = 0;
  /** the last poll dropped some: poll at the fast rate */
  #notifyFlooded = false;
  #ids: WorkerIds;
  /** wids being retried after resource errors */
  readonly #shortage = new Shortage();
  /** process groups whose leader exited and that still have members being stopped */
  readonly #leftovers = new Set<Leftovers>();

  constructor(config: WatcherConfig, host: WatcherHost) {
    this.#config = config;
    this.#host = host;
    this.#desired = config.singleton ? Math.min(1, config.numprocesses) : config.numprocesses;
    this.#ids = resolveIds(config);
  }

  get config(): WatcherConfig {
    return this.#config;
  }

  get name(): string {
    return this.config.name;
  }

  get phase(): WatcherPhase {
    return this.#phase;
  }

  /** Spawn the workers (warmup_delay apart). Resolves once all are spawned. */
  async start(): Promise<void> {
    // A stop under way finishes first: its workers must not be taken for failed ones. A
    // stop asked for after this start, while it waited, wins.
    const asked = this.#stops;
    if (this.#stopping) await this.#stopping;
    if (this.#stops !== asked || this.#phase === 'running') return;
    this.#phase = 'running';
    this.#failures = 0;
    this.#fatalReason = undefined;
    for (let wid = 1; wid <= this.#desired; wid++) {
      if (this.#phase !== 'running') return;
      if (!this.#hasWid(wid)) this.#spawn(wid);
      if (this.config.warmup_delay > 0 && wid < this.#desired) await sleep(this.config.warmup_delay * 1000);
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
    this.#phase = 'stopping';
    for (const t of this.#respawnTimers.values()) clearTimeout(t);
    this.#respawnTimers.clear();
    this.#shortage.clear();
    const signal = this.config.stop_signal as NodeJS.Signals;
    const all: Array<Promise<unknown>> = [...this.#workers.values()].map((w) => {
      w.retiring = true;
      return w.proc.stop(signal, this.config.graceful_timeout * 1000, this.config.stop_children).then(() => this.#stopLeftovers(w));
    });
    for (const l of this.#leftovers) all.push(l.done);
    this.#stopping = Promise.all(all).then(() => {
      this.#stopping = undefined;
      if (this.#phase === 'stopping') this.#phase = 'stopped';
    });
    return this.#stopping;
  }

  /** SIGKILL every worker's process group now. */
  destroy(): void {
    this.#phase = 'stopping';
    for (const t of this.#respawnTimers.values()) clearTimeout(t);
    this.#respawnTimers.clear();
    this.#shortage.clear();
    for (const w of this.#workers.values()) void w.proc.destroy();
    for (const l of this.#leftovers) l.kill();
  }

  /** Send a signal to every worker. Returns how many got it. */
  signal(signal: NodeJS.Signals): number {
    let n = 0;
    for (const w of this.#workers.values()) if (w.proc.signal(signal, this.config.stop_children)) n++;
    return n;
  }

  #hasWid(wid: number): boolean {
    for (const w of this.#workers.values()) if (w.wid === wid && !w.retiring) return true;
    return false;
  }

  /** Stop one worker on purpose: its exit is neither a failure nor followed by a respawn. */
  #retire(w: Worker): Promise<unknown> {
    w.retiring = true;
    return w.proc.stop(this.config.stop_signal as NodeJS.Signals, this.config.graceful_timeout * 1000, this.config.stop_children);
  }

  /** Resolves true once `w` is ready, false if it exits or its check times out first. */
  #waitReady(w: Worker): Promise<boolean> {
    if (w.ready) return Promise.resolve(true);
    if (w.readyFailed || this.#workers.get(w.id) !== w) return Promise.resolve(false);
    return new Promise((resolve) => w.readyWaiters.push(resolve));
  }

  /** The number of workers this watcher keeps running. */
  get desired(): number {
    return this.#desired;
  }

  /**
   * Set the number of workers. Running: missing wids are spawned at once, workers above
   * `n` are stopped gracefully (highest wids first). Returns the new number.
   */
  async scale(n: number): Promise<number> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`numprocesses must be an integer >= 0, got ${n}`);
    this.#desired = this.config.singleton ? Math.min(1, n) : n;
    if (this.#phase !== 'running') return this.#desired;
    const extra = [...this.#workers.values()].filter((w) => w.wid > this.#desired && !w.retiring).sort((a, b) => b.wid - a.wid);
    for (let wid = 1; wid <= this.#desired; wid++) if (!this.#hasWid(wid)) this.#spawn(wid);
    this.#host.events.emit({ type: 'watcher.scaled', watcher: this.name, numprocesses: this.#desired });
    await Promise.all(extra.map((w) => this.#retire(w)));
    return this.#desired;
  }

  /**
   * Replace every worker, `maxSurge` at a time: start the new one, wait until it is ready,
   * then stop the old one gracefully. If a new worker is not ready in time (or exits), it is
   * stopped, the rollout ends there and the remaining old workers keep serving.
   * Returns true when every worker was replaced.
   */
  async rollingRestart(maxSurge = this.config.max_surge): Promise<boolean> {
    if (this.#phase !== 'running') {
      // Nothing serves: start the new ones. From FATAL, say whether they got ready.
      const wasFatal = this.#phase === 'fatal';
      await this.start();
      if (!wasFatal) return true;
      const ok = await Promise.all([...this.#workers.values()].map((w) => this.#waitReady(w)));
      return ok.every(Boolean);
    }
    const surge = Math.max(1, Math.floor(maxSurge));
    const old = [...this.#workers.values()].filter((w) => !w.retiring).sort((a, b) => a.wid - b.wid);
    this.#rollout = { state: 'rolling', message: `replacing ${old.length} workers, ${surge} at a time`, at: this.#host.now() };
    this.#host.events.emit({ type: 'rollout.started', watcher: this.name, workers: old.length, maxSurge: surge });
    for (let i = 0; i < old.length; i += surge) {
      if (this.#phase !== 'running') return false;
      const batch = old.slice(i, i + surge);
      const fresh = batch.map((w) => {
        // the old worker keeps its wid until it is gone; respawn logic must not refill it
        w.retiring = true;
        const n = this.#spawn(w.wid);
        n.probation = true;
        return n;
      });
      const ok = await Promise.all(fresh.map((w) => this.#waitReady(w)));
      if (ok.includes(false)) {
        const bad = fresh[ok.indexOf(false)] as Worker;
        for (const w of batch) w.retiring = false;
        await Promise.all(fresh.map((w) => this.#retire(w)));
        const message = `new worker ${bad.wid} (pid ${bad.proc.pid}) did not become ready (${this.config.ready.kind}); ${old.length - i} old workers kept`;
        this.#rollout = { state: 'failed', message, at: this.#host.now() };
        this.#host.events.emit({ type: 'rollout.result', watcher: this.name, result: { kind: 'failed', wid: bad.wid, pid: bad.proc.pid, message, replaced: i, kept: old.length - i } });
        return false;
      }
      for (const w of fresh) w.probation = false;
      await Promise.all(batch.map((w) => this.#retire(w)));
      this.#host.events.emit({ type: 'rollout.step', watcher: this.name, replaced: Math.min(i + surge, old.length), total: old.length });
    }
    this.#rollout = { state: 'done', message: `replaced ${old.length} workers`, at: this.#host.now() };
    this.#host.events.emit({ type: 'rollout.result', watcher: this.name, result: { kind: 'done', replaced: old.length } });
    return true;
  }

  /**
   * Start a worker for every wid that has none (running watchers only). After a failed
   * rollout: an old worker that died on its own while its replacement was on probation left
   * its wid to that replacement, and then the replacement failed too.
   */
  fillMissing(): void {
    if (this.#phase !== 'running') return;
    for (let wid = 1; wid <= this.#desired; wid++) {
      if (!this.#hasWid(wid) && !this.#respawnTimers.has(wid)) this.#spawn(wid);
    }
  }

  /** Take a new config (a reload); the running workers keep theirs until restarted. */
  updateConfig(config: WatcherConfig): void {
    this.#config = config;
    this.#ids = resolveIds(config);
  }

  status(): WatcherStatus {
    return {
      name: this.name,
      phase: this.#phase,
      desired: this.#desired,
      running: [...this.#workers.values()].filter((w) => w.proc.state.kind === 'running').length,
      ready: [...this.#workers.values()].filter((w) => w.ready && w.proc.state.kind === 'running').length,
      restarts: this.#restarts,
      exits: { ...this.#exits },
      failuresInARow: this.#failures,
      resourceRetries: this.#shortage.total,
      shortage: this.#shortage.status,
      notifyRejected: this.#notifyRejected,
      lastExit: this.#lastExit,
      fatalReason: this.#fatalReason,
      rollout: this.#rollout,
      workers: [...this.#workers.values()]
        .sort((a, b) => a.wid - b.wid)
        .map((w) => ({
          wid: w.wid,
          pid: w.proc.pid,
          startedAt: w.startedAt,
          state: w.proc.state.kind,
          ready: w.ready,
          readyFailed: w.readyFailed,
          statusText: w.statusText,
          mainPid: w.mainPid,
        })),
    };
  }

  /** pids of the running workers */
  pids(): number[] {
    return [...this.#workers.values()].map((w) => w.proc.pid).filter((p): p is number => p !== undefined);
  }

  #spawn(wid: number): Worker {
    const c = this.config;
    const host = this.#host;
    let built: ReturnType<typeof buildWorkerSpec>;
    try {
      built = buildWorkerSpec(c, wid, { sockets: host.sockets, baseEnv: host.baseEnv, cwd: host.cwd, ids: this.#ids, copySignals: host.copySignals });
    } catch (err) {
      return this.#setupFailed(wid, err as NodeJS.ErrnoException);
    }
    const { spec, ownedFds: owned, notify, rlimitsAfter } = built;
    const id = ++this.#serial;
    const proc = new ManagedProcess(spec, { own: host.own, disown: host.disown, now: host.now }, (outcome) => this.#onExit(id, outcome));
    const worker = this.#track(id, wid, proc, notify);
    proc.start();
    if (proc.pid !== undefined) {
      host.events.emit({ type: 'worker.spawned', watcher: c.name, wid, pid: proc.pid });
      this.#startReadiness(worker);
      if (c.max_age > 0) {
        // Circus's max_age: recycle a worker after a while (+ up to max_age_variance, so a
        // pool does not recycle all at once). It stops gracefully and is respawned.
        const age = c.max_age + (host.random ?? Math.random)() * c.max_age_variance;
        worker.timers.push(
          setTimeout(() => {
            host.log.info('worker reached max_age: recycling it', { watcher: c.name, wid, pid: proc.pid, age_seconds: Math.round(age) });
            void proc.stop(c.stop_signal as NodeJS.Signals, c.graceful_timeout * 1000, c.stop_children);
          }, age * 1000),
        );
      }
    }
    // A per-worker SO_REUSEPORT socket now lives in the worker only.
    closeSockets(owned);
    const pid = proc.pid;
    if (pid !== undefined) {
      this.#resourceDone(wid);
      for (const [name, resource, value] of rlimitsAfter) {
        try {
          setRlimit(pid, resource, value);
        } catch (e) {
          host.log.warn('could not set rlimit', { watcher: c.name, wid, rlimit: name, error: (e as Error).message });
        }
      }
      if (c.output !== 'inherit') {
        const label = { watcher: c.name, wid, pid };
        if (proc.child?.stdout) pipeLines(proc.child.stdout, c.output, label, 'stdout');
        if (proc.child?.stderr) pipeLines(proc.child.stderr, c.output, label, 'stderr');
      }
    }
    return worker;
  }

  /** A new worker in the pool under `id`, not ready yet. */
  #track(id: number, wid: number, proc: ManagedProcess, notify: NotifyChannel | undefined): Worker {
    const now = this.#host.now();
    const worker: Worker = {
      id,
      wid,
      retiring: false,
      probation: false,
      readyWaiters: [],
      proc,
      startedAt: now,
      ready: false,
      readyFailed: false,
      statusText: undefined,
      mainPid: undefined,
      notify,
      readyDeadline: undefined,
      lastWatchdog: now,
      timers: [],
    };
    this.#workers.set(id, worker);
    return worker;
  }

  /**
   * The worker could not even be prepared (no fd left for its notify socket, its own
   * SO_REUSEPORT socket cannot be bound): it takes its wid like any worker and fails like a
   * spawn that failed, on the next tick, so backoff and FATAL apply and nothing recurses.
   */
  #setupFailed(wid: number, err: NodeJS.ErrnoException): Worker {
    const id = ++this.#serial;
    const proc = new ManagedProcess({ file: this.config.cmd, args: [], env: {}, stdio: 'ignore' }, this.#host);
    const worker = this.#track(id, wid, proc, undefined);
    setImmediate(() => this.#onExit(id, { kind: 'spawn-failed', code: err.code ?? 'UNKNOWN', message: `preparing the worker: ${err.message}` }));
    return worker;
  }

  #markReady(w: Worker): void {
    if (w.ready || this.#workers.get(w.id) !== w) return;
    w.ready = true;
    for (const r of w.readyWaiters.splice(0)) r(true);
    w.lastWatchdog = this.#host.now();
    this.#host.events.emit({ type: 'worker.ready', watcher: this.name, wid: w.wid, pid: w.proc.pid });
    this.#host.onReady?.(this, w.wid);
  }

  /** Start the readiness check of a freshly spawned worker. */
  #startReadiness(w: Worker): void {
    const r = this.config.ready;
    switch (r.kind) {
      case 'none':
        this.#markReady(w);
        break;
      case 'delay':
        w.timers.push(setTimeout(() => this.#markReady(w), r.seconds * 1000));
        break;
      case 'notify':
        w.readyDeadline = this.#host.now() + r.timeout * 1000;
        break;
      case 'http': {
        const url = expandPorts(r.url, (name) => this.#host.sockets.get(name)?.port);
        const deadline = Date.now() + r.timeout * 1000;
        void waitHttpOk(url, deadline, () => this.#workers.get(w.id) !== w).then((ok) => {
          if (ok) this.#markReady(w);
          else if (this.#workers.get(w.id) === w) this.#readyTimedOut(w);
        });
        break;
      }
      default:
        assertNever(r);
    }
    if (w.notify) this.#schedulePoll();
  }

  #readyTimedOut(w: Worker): void {
    w.readyFailed = true;
    for (const r of w.readyWaiters.splice(0)) r(false);
    this.#host.events.emit({ type: 'worker.unready', watcher: this.name, wid: w.wid, pid: w.proc.pid, why: 'timeout', check: this.config.ready.kind });
  }

  #pollTimer: NodeJS.Timeout | undefined;
  #pollInterval = Infinity;

  /**
   * Drain the notify channels: every 10 ms while a worker is waiting for READY=1, else at
   * a quarter of watchdog_sec (at most every second) to see WATCHDOG=1 and STATUS=.
   */
  #schedulePoll(): void {
    const workers = [...this.#workers.values()].filter((w) => w.notify);
    if (workers.length === 0) return;
    // Also while strangers flood a notify socket: its queue (10 datagrams by default) stays
    // full, and a worker's own sd_notify() blocks until the next drain makes room.
    const fast = this.#notifyFlooded || workers.some((w) => !w.ready && !w.readyFailed && this.config.ready.kind === 'notify');
    const wd = this.config.watchdog_sec;
    const interval = fast ? 10 : wd > 0 ? Math.max(50, Math.min(1_000, (wd * 1000) / 4)) : 1_000;
    // A new worker waiting for READY=1 must not wait out the slow timer already pending.
    if (this.#pollTimer) {
      if (interval >= this.#pollInterval) return;
      clearTimeout(this.#pollTimer);
    }
    this.#pollInterval = interval;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.#poll();
      this.#schedulePoll();
    }, interval);
    this.#pollTimer.unref();
  }

  #poll(): void {
    const now = this.#host.now();
    this.#notifyFlooded = false;
    for (const w of this.#workers.values()) {
      if (!w.notify || w.proc.state.kind !== 'running') continue;
      const got = w.notify.drain(w.proc.pid, now);
      this.#notifyRejected += got.rejected;
      if (got.rejected > 0) this.#notifyFlooded = true;
      const r = got.report;
      if (r) this.#host.log.warn(`notify messages dropped: ${r.why}`, { watcher: this.name, wid: w.wid, pid: w.proc.pid, dropped: r.dropped, sender_pid: r.senderPid, sender_uid: r.senderUid });
      for (const m of got.messages) {
        if (m.status !== undefined) w.statusText = m.status;
        if (m.mainPid !== undefined) w.mainPid = m.mainPid;
        if (m.watchdog) w.lastWatchdog = now;
        if (m.ready && this.config.ready.kind === 'notify') this.#markReady(w);
        if (m.stopping && w.ready) {
          w.ready = false;
          this.#host.events.emit({ type: 'worker.unready', watcher: this.name, wid: w.wid, pid: w.proc.pid, why: 'stopping' });
        }
      }
      if (!w.ready && !w.readyFailed && w.readyDeadline !== undefined && now > w.readyDeadline) this.#readyTimedOut(w);
      const wd = this.config.watchdog_sec;
      if (wd > 0 && (w.ready || this.config.ready.kind !== 'notify') && now - w.lastWatchdog > wd * 1000) {
        this.#host.log.warn('watchdog: no WATCHDOG=1 in time, restarting the worker', { watcher: this.name, wid: w.wid, pid: w.proc.pid, watchdog_sec: wd });
        w.lastWatchdog = now;
        void w.proc.stop(this.config.stop_signal as NodeJS.Signals, this.config.graceful_timeout * 1000, this.config.stop_children);
      }
    }
  }

  #onExit(id: number, outcome: ExitOutcome): void {
    const w = this.#workers.get(id);
    if (!w) return;
    this.#workers.delete(id);
    void this.#stopLeftovers(w);
    const { wid, proc } = w;
    w.notify?.close();
    for (const t of w.timers) clearTimeout(t);
    for (const r of w.readyWaiters.splice(0)) r(false);
    const host = this.#host;
    const c = this.config;
    const now = host.now();
    this.#lastExit = { wid, outcome, at: now };
    if (this.#phase !== 'running' || w.retiring) {
      this.#exits.stopped++;
      host.events.emit({ type: 'worker.exited', watcher: c.name, wid, pid: proc.pid, reason: 'stopped', outcome, cause: 'stopped' });
      return;
    }
    if (w.probation) {
      // The rollout sees it (not ready) and keeps the old worker of this wid: no respawn, and
      // a bad new config does not count toward max_retry of a watcher whose old workers serve.
      this.#exits[reasonOf(outcome)]++;
      host.events.emit({ type: 'worker.exited', watcher: c.name, wid, pid: proc.pid, reason: reasonOf(outcome), outcome, cause: 'rollout' });
      return;
    }
    if (outcome.kind === 'spawn-failed' && isResourceError(outcome.code) && c.respawn) return this.#retryAfterShortage(wid, outcome);
    this.#exits[reasonOf(outcome)]++;
    if (outcome.kind === 'spawn-failed') {
      // libuv reports a missing working directory as the command's ENOENT: tell them apart.
      const dir = c.working_dir === undefined ? host.cwd : resolve(host.cwd, c.working_dir);
      const why = outcome.code === 'ENOENT' && !existsSync(dir) ? `working_dir ${dir} does not exist` : outcome.message;
      host.events.emit({ type: 'worker.exited', watcher: c.name, wid, pid: proc.pid, reason: 'spawn_failed', outcome, cause: 'unexpected', message: why, command: c.cmd });
    } else {
      host.events.emit({ type: 'worker.exited', watcher: c.name, wid, pid: proc.pid, reason: reasonOf(outcome), outcome, cause: 'unexpected' });
    }
    host.onUnexpectedExit?.(this, wid, outcome);
    if (this.#phase !== 'running' || !c.respawn) return;
    const uptime = (now - w.startedAt) / 1000;
    if (uptime >= c.backoff_reset) this.#failures = 0;
    this.#failures++;
    if (c.max_retry >= 0 && this.#failures > c.max_retry) {
      this.#phase = 'fatal';
      this.#fatalReason = `${this.#failures} quick failures in a row (max_retry = ${c.max_retry}); last: ${JSON.stringify(describe(outcome))}`;
      host.events.emit({ type: 'watcher.fatal', watcher: c.name, reason: this.#fatalReason });
      host.onFatal?.(this);
      return;
    }
    const delay = backoffDelay(this.#failures, this.#backoff(), host.random);
    host.events.emit({ type: 'worker.respawn_scheduled', watcher: c.name, wid, delaySeconds: delay });
    this.#respawnAfter(wid, delay, true);
  }

  #backoff(): BackoffPolicy {
    const c = this.config;
    return { initial: c.backoff_initial, multiplier: c.backoff_multiplier, max: c.backoff_max, jitter: c.backoff_jitter };
  }

  /** Spawn `wid` again after `delay` seconds, unless it is no longer wanted by then. */
  #respawnAfter(wid: number, delay: number, restart: boolean): void {
    const respawn = (): void => {
      this.#respawnTimers.delete(wid);
      if (this.#phase !== 'running' || this.#hasWid(wid) || wid > this.#desired) return this.#resourceDone(wid);
      if (restart) this.#restarts++;
      this.#spawn(wid);
    };
    if (delay === 0) respawn();
    else this.#respawnTimers.set(wid, setTimeout(respawn, delay * 1000));
  }

  /**
   * A spawn or setup failed for want of a resource: try again after the backoff, without a
   * failure counted. Logged when an episode starts and when it ends, not at every try.
   */
  #retryAfterShortage(wid: number, outcome: Extract<ExitOutcome, { kind: 'spawn-failed' }>): void {
    const host = this.#host;
    host.events.emit({ type: 'worker.exited', watcher: this.name, wid, pid: undefined, reason: 'spawn_failed', outcome, cause: 'shortage' });
    const { tries, began } = this.#shortage.fail(wid, outcome.code, host.now());
    if (began) {
      host.log.error(`worker could not be started: ${outcome.message}: out of a system resource; retrying with backoff until it can (not counted toward max_retry)`, {
        watcher: this.name,
        wid,
        error: outcome.code,
      });
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
    const c = this.config;
    const left = w.proc.leftovers(c.stop_signal as NodeJS.Signals, c.graceful_timeout * 1000);
    if (!left?.present) return Promise.resolve();
    if (!this.#leftovers.has(left)) {
      this.#leftovers.add(left);
      const fields = { watcher: c.name, wid: w.wid, pgid: w.proc.pid, signal: c.stop_signal };
      this.#host.log.warn("worker's process group outlived it: stopping what is left", fields);
      void left.done.then((o) => {
        this.#leftovers.delete(left);
        if (o.kind === 'killed') this.#host.log.warn("worker's leftovers got SIGKILL after graceful_timeout", { ...fields, graceful_timeout: c.graceful_timeout });
        else if (o.kind === 'stuck') this.#host.log.warn("worker's leftovers are still there after SIGKILL", fields);
        else this.#host.log.info("worker's leftovers are gone", fields);
      });
    }
    return left.done;
  }

  // temporary: fix/core replaces this
  /**
   * Roll the workers onto `next` (a reload). A watcher that is not running only takes the
   * config. When the new workers do not become ready, the watcher takes its old config back
   * and starts a worker for every wid left without one.
   */
  async reconfigure(next: WatcherConfig, opts: { maxSurge?: number } = {}): Promise<RolloutResult> {
    const before = this.#config;
    const total = [...this.#workers.values()].filter((w) => !w.retiring).length;
    this.updateConfig(next);
    if (this.#phase !== 'running') return { kind: 'done', replaced: 0 };
    if (await this.rollingRestart(opts.maxSurge ?? next.max_surge)) return { kind: 'done', replaced: total };
    this.updateConfig(before);
    this.fillMissing();
    const r = this.#rollout;
    const m = r?.state === 'failed' ? /^new worker (\d+) \(pid (\d+|undefined)\).*; (\d+) old workers kept$/.exec(r.message) : null;
    if (!r || !m) return { kind: 'aborted', message: 'the watcher stopped during the rolling restart', replaced: 0 };
    const kept = Number(m[3]);
    return { kind: 'failed', wid: Number(m[1]), pid: m[2] === 'undefined' ? undefined : Number(m[2]), message: r.message, replaced: total - kept, kept };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
