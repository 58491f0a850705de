/**
 * A watcher: a pool of `numprocesses` workers running the same command on the same
 * sockets. Each worker has an id (wid 1..N) that a replacement takes over.
 *
 *   stopped --start()--> running --stop()/destroy()--> stopping --workers gone--> stopped
 *                         |   ^                            ^
 *     more than max_retry |   | start(), rollingRestart()  | stop()/destroy()
 *     quick failures      v   |                            |
 *                         fatal ---------------------------+
 *                         |   ^                            |
 *     every slot completed|   | start(), rollingRestart(), | stop()/destroy()
 *                         v   | scale() up                 |
 *                       completed -------------------------+
 *
 * `respawn` (respawn.ts: completes()) decides which exits end their slot: under
 * `on-failure` and `never`, an exit with one of success_exit_codes completes the slot
 * (worker.completed; not refilled, not counted toward max_retry, not missing for /readyz);
 * once every slot within numprocesses is completed the phase is `completed`. Under
 * `never` any other exit ends the slot too (it stays missing). A start clears them all.
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
 * rolling restart its own module (rollout.ts), the respawn policy respawn.ts, the set of
 * workers and what follows any exit pool.ts. What happens is emitted as events
 * (events.ts); the phase changes in #setPhase only. Every timer hangs off one
 * AbortController per run (start() to stop()/destroy()).
 */
import { barePreloadProblem } from '../config/preload-check.js';
import type { WatcherConfig } from '../config/types.js';
import { childController, realTimers, sleep, type Timers } from './edges.js';
import type { EventInput, ExitCause, RolloutResult } from './events.js';
import { WorkerPool } from './pool.js';
import type { ExitOutcome } from './process.js';
import { completes, Respawner, type RespawnHost } from './respawn.js';
import { WatcherTally } from './tally.js';
import { MemoryWatch, realMemoryReader } from './memory-watch.js';
import { readyAfterStart, replaceWorker, rollout, rolloutStatus } from './rollout.js';
import { resolveIds, statusOf, type CompletedSlot, type WatcherHost, type WatcherPhase, type WatcherStatus, type WorkerIds } from './watcher-status.js';
import type { Worker, WorkerHost, WorkerRole } from './worker.js';

export type { CompletedSlot, ExitReason, WatcherHost, WatcherPhase, WatcherStatus, WorkerStatus } from './watcher-status.js';
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
  readonly #pool: WorkerPool;
  readonly #respawns: Respawner;
  /** exits, restarts and the last exit, counted from this watcher's own events */
  readonly #tally = new WatcherTally();
  #desired: number;
  /** where #desired came from when it is a resolved `auto` (numprocesses_source), else undefined */
  #desiredSource: string | undefined;
  #fatalReason: string | undefined;
  #rollout: WatcherStatus['rollout'];
  #ids: WorkerIds;
  /** slots whose worker exited with a success code (on-failure, never), by wid: not refilled until a start */
  readonly #completed = new Map<number, CompletedSlot>();
  /** what its workers and its respawns see of it */
  readonly #core: WorkerHost & RespawnHost;
  /** max_memory: replaces a worker that stays above it (memory-watch.ts) */
  readonly #memory: MemoryWatch;

  constructor(config: WatcherConfig, host: WatcherHost) {
    this.#config = config;
    this.#host = host;
    this.#desired = config.singleton ? Math.min(1, config.numprocesses) : config.numprocesses;
    this.#desiredSource = config.numprocesses_source;
    this.#ids = resolveIds(config);
    const timers = this.#timers;
    const self = this;
    this.#core = {
      get config() {
        return self.#config;
      },
      get signal() {
        return self.#run.signal;
      },
      log: host.log,
      timers,
      now: host.now,
      random: host.random,
      emit: (e) => this.#emit(e),
      onReady: (w) => host.onReady?.(this, w.wid),
      wants: (wid) => this.#isRunning() && !this.#hasWid(wid) && !this.#completed.has(wid) && wid <= this.#desired,
      spawn: (wid) => void this.#spawn(wid),
    };
    this.#respawns = new Respawner(this.#core);
    this.#memory = new MemoryWatch({
      ...this.#core,
      get config() {
        return self.#config;
      },
      get signal() {
        return self.#run.signal;
      },
      reader: host.memory ?? realMemoryReader,
      serving: () => this.#pool.list().filter((w) => w.role === 'member' && w.holdsWid && w.state.kind !== 'retiring'),
      mayReplace: () => this.#isRunning() && this.#rollout?.state !== 'rolling',
      replace: (w, ready) => this.#replaceOne(w, ready),
    });
    this.#pool = new WorkerPool({
      host,
      core: this.#core,
      get signal() {
        return self.#run.signal;
      },
      get ids() {
        return self.#ids;
      },
      running: () => this.#isRunning(),
      spawned: (wid) => this.#respawns.started(wid),
      exited: (w, outcome, cause) => this.#afterExit(w, outcome, cause),
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

  /** where `desired` came from when it is a resolved `auto`, else undefined */
  get desiredSource(): string | undefined {
    return this.#desiredSource;
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
    this.#respawns.failures = 0;
    this.#fatalReason = undefined;
    this.#completed.clear();
    this.#setPhase('running');
    this.#memory.arm();
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
    for (const w of this.#pool.list()) void w.retire('stop');
    this.#stopping = this.#drain();
    return this.#stopping;
  }

  /** SIGKILL every worker's process group now; the phase is `stopped` once they are gone. */
  destroy(): void {
    if (this.#phase === 'stopped' && this.#stopping === undefined && this.#pool.size === 0) return;
    this.#halt();
    this.#pool.destroy();
    this.#stopping ??= this.#drain();
  }

  /** Send a signal to every worker. Returns how many got it. */
  signal(signal: NodeJS.Signals): number {
    let n = 0;
    for (const w of this.#pool.list()) if (w.proc.signal(signal, this.#config.stop_children)) n++;
    return n;
  }

  /**
   * Set the number of workers. Running: missing wids are spawned at once, workers above
   * `n` are stopped gracefully (highest wids first). Returns the new number. `source`: where
   * an `auto` count came from (shown in status); undefined for a number asked for as such.
   * A completed watcher scaled up is started again (every slot runs anew).
   */
  async scale(n: number, source?: string): Promise<number> {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`numprocesses must be an integer >= 0, got ${n}`);
    const before = this.#desired;
    this.#desired = this.#config.singleton ? Math.min(1, n) : n;
    this.#desiredSource = source;
    for (const wid of this.#completed.keys()) if (wid > this.#desired) this.#completed.delete(wid);
    if (this.#phase === 'completed' && this.#desired > before) {
      await this.start();
      this.#emit({ type: 'watcher.scaled', watcher: this.name, numprocesses: this.#desired });
      return this.#desired;
    }
    if (this.#phase !== 'running') return this.#desired;
    const extra = this.#pool.list().filter((w) => w.wid > this.#desired && w.holdsWid).reverse();
    for (let wid = 1; wid <= this.#desired; wid++) if (!this.#hasWid(wid) && !this.#completed.has(wid)) this.#spawn(wid);
    this.#emit({ type: 'watcher.scaled', watcher: this.name, numprocesses: this.#desired });
    await Promise.all(extra.map((w) => w.retire('scale')));
    this.#checkCompleted();
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
      return readyAfterStart(this.#pool.list(), wasFatal, this.#config.ready.kind);
    }
    const { controller, dispose } = childController(this.#run.signal);
    const serving = this.#pool.list().filter((w) => w.holdsWid);
    const surge = Math.max(1, Math.floor(maxSurge));
    this.#rollout = { state: 'rolling', message: `replacing ${serving.length} workers, ${surge} at a time`, at: this.#host.now() };
    const pool = { name: this.name, check: this.#config.ready.kind, serving: () => serving, candidate: (wid: number) => this.#spawn(wid, 'probation'), emit: (e: EventInput) => this.#emit(e) };
    const result = await rollout(pool, surge, controller.signal).finally(dispose);
    this.#rollout = rolloutStatus(result, this.#host.now());
    return result;
  }

  /** One worker replaced as a rollout would (for max_memory); a wid left without a worker is refilled. */
  async #replaceOne(w: Worker, ready: (fresh: Worker) => void): Promise<boolean> {
    const { controller, dispose } = childController(this.#run.signal);
    const r = await replaceWorker({ candidate: (wid) => this.#spawn(wid, 'probation') }, w, controller.signal, (_, fresh) => ready(fresh)).finally(dispose);
    if (r.kind !== 'done') this.fillMissing();
    return r.kind === 'done';
  }

  /**
   * Start a worker for every wid that has none (running watchers only). After a failed
   * rollout: an old worker that died on its own while its replacement was on probation left
   * its wid to that replacement, and then the replacement failed too.
   */
  fillMissing(): void {
    if (this.#phase !== 'running') return;
    for (let wid = 1; wid <= this.#desired; wid++) if (!this.#hasWid(wid) && !this.#respawns.has(wid) && !this.#completed.has(wid)) this.#spawn(wid);
  }

  /** Take a new config (a reload); the running workers keep theirs until restarted. */
  updateConfig(config: WatcherConfig): void {
    this.#ids = resolveIds(config);
    this.#config = config;
    if (this.#isRunning()) this.#memory.arm();
  }

  status(): WatcherStatus {
    const r = this.#respawns;
    const pool = this.#pool;
    return statusOf(this.name, this.#phase, this.#desired, pool.list(), {
      restarts: this.#tally.restarts,
      exits: { ...this.#tally.exits },
      failuresInARow: r.failures,
      resourceRetries: r.shortage.total,
      shortage: r.shortage.status,
      notifyRejected: pool.notifyRejected,
      lastExit: this.#tally.lastExit,
      fatalReason: this.#fatalReason,
      rollout: this.#rollout,
      ...(this.#completed.size === 0 ? {} : { completed: [...this.#completed.values()].sort((a, b) => a.wid - b.wid) }),
      restartsByReason: { ...this.#tally.restartsBy },
      lastRestart: this.#tally.lastRestart,
      ...(this.#config.max_memory > 0 ? { maxMemory: { bytes: this.#config.max_memory, ...(this.#config.max_memory_source === undefined ? {} : { source: this.#config.max_memory_source }) } } : {}),
      ...(this.#desiredSource === undefined ? {} : { desiredSource: this.#desiredSource }),
    });
  }

  /** pids of the running workers */
  pids(): number[] {
    return this.#pool.list().map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  get #timers(): Timers {
    return this.#host.timers ?? realTimers;
  }

  #isRunning(): boolean {
    return this.#phase === 'running';
  }

  #hasWid(wid: number): boolean {
    return this.#pool.has(wid);
  }

  #setPhase(phase: WatcherPhase): void {
    const from = this.#phase;
    if (from === phase) return;
    this.#phase = phase;
    this.#emit({ type: 'watcher.phase', watcher: this.name, phase, from });
  }

  #emit(e: EventInput): void {
    this.#tally.record(e, this.#host.now());
    this.#host.events.emit(e);
  }

  /** No more respawns, timers or warm-up: the watcher is stopping. */
  #halt(): void {
    this.#setPhase('stopping');
    this.#run.abort();
    this.#respawns.cancel();
  }

  /** Resolves once every worker has exited and every leftover group is gone; then `stopped`. */
  async #drain(): Promise<void> {
    // one turn first: the caller stores this promise in #stopping before it is cleared below
    await Promise.resolve();
    await this.#pool.drained();
    this.#stopping = undefined;
    if (this.#phase === 'stopping') this.#setPhase('stopped');
  }

  #spawn(wid: number, role: WorkerRole = 'member'): Worker {
    return this.#pool.spawn(this.#config, wid, role);
  }

  /** A worker's exit, counted and emitted by the pool: a respawn, a retry, or FATAL. */
  #afterExit(w: Worker, outcome: ExitOutcome, cause: ExitCause): void {
    if (cause === 'shortage' && outcome.kind === 'spawn-failed') return this.#respawns.short(w.wid, outcome);
    if (cause !== 'unexpected') return;
    const c = this.#config;
    this.#host.onUnexpectedExit?.(this, w.wid, outcome);
    // exit_on: exit has just asked the init to shut down: a respawn would only be stopped
    // again, or exit once more before the stop reaches it.
    if (!this.#isRunning()) return;
    const code = completes(c, outcome);
    if (code !== undefined) return this.#complete(w, code);
    if (c.respawn === 'never' || c.exit_on === 'exit') return;
    const fatal = this.#respawns.failed(w.wid, (this.#host.now() - w.startedAt) / 1000, outcome);
    if (!fatal) return;
    // The workers' stderr is their own: a preload that cannot resolve is found by asking again.
    const preload = barePreloadProblem(c, this.#host.cwd);
    const reason = preload === undefined ? fatal.fatal : `${fatal.fatal}; ${preload}`;
    this.#fatalReason = reason;
    this.#setPhase('fatal');
    this.#emit({ type: 'watcher.fatal', watcher: c.name, reason });
    this.#host.onFatal?.(this);
  }

  /** `w` exited with a success code under on-failure or never: its slot is done, not refilled. */
  #complete(w: Worker, code: number): void {
    if (w.wid > this.#desired) return;
    this.#completed.set(w.wid, { wid: w.wid, code, at: this.#host.now() });
    this.#emit({ type: 'worker.completed', watcher: this.name, wid: w.wid, pid: w.pid, code });
    this.#checkCompleted();
  }

  /** Running, and every slot within numprocesses completed (none holds a worker): `completed`. */
  #checkCompleted(): void {
    if (!this.#isRunning() || this.#desired === 0) return;
    for (let wid = 1; wid <= this.#desired; wid++) if (!this.#completed.has(wid) || this.#hasWid(wid)) return;
    this.#setPhase('completed');
  }
}
