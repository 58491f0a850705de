/**
 * One worker slot of a watcher: its process, its readiness, and how it ends.
 *
 *   starting --spawned--> unready(checking, deadline) --check passed--> ready
 *      |                    |        |                                   |
 *      |                    |        +--check gave up--> unready(timeout) |
 *      |                    |                                 |          |
 *      |                    |           ready <--READY=1------+          |
 *      |                    |           unready(stopping) <--STOPPING=1--+
 *      |                    |
 *      +----------+---------+--retire(why)--> retiring(why) --exit--> exited(outcome)
 *                 |                                                     ^
 *                 +--exit (crash, failed spawn)---------------------------+
 *
 * `starting` is a worker with no pid: its spawn (or its preparation) failed and the exit
 * that says so comes on a later tick. retire() is the one graceful stop: stop_signal, then
 * SIGKILL after graceful_timeout, to the process group with stop_children. Why it retires
 * decides what its exit means: scale, stop and rollout are on purpose (no respawn); recycle
 * (max_age) and watchdog are restarts (counted and respawned like a crash).
 *
 * Its role in the pool is apart from its state: a `member`; a rollout's new worker on
 * `probation` until its batch is done (if it exits, the rollout sees it: no respawn, no
 * failure counted); or an old worker `outgoing` in a rollout (it serves, but its wid is
 * its replacement's).
 */
import type { WatcherConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { childController, later, type NotifyEndpoint, type Timers, type WorkerProcess } from './edges.js';
import type { EventInput, ExitCause } from './events.js';
import { assertNever, type ExitOutcome } from './process.js';
import { Watchdog, type ReadinessProbe } from './readiness.js';

export type RetireWhy = 'scale' | 'stop' | 'rollout' | 'recycle' | 'watchdog';

export type WorkerRole = 'member' | 'probation' | 'outgoing';

export type WorkerState =
  | { kind: 'starting' }
  | { kind: 'unready'; why: 'checking'; deadline: number | undefined }
  | { kind: 'unready'; why: 'timeout' | 'stopping' }
  | { kind: 'ready'; since: number }
  | { kind: 'retiring'; why: RetireWhy; wasReady: boolean }
  | { kind: 'exited'; outcome: ExitOutcome };

/** A stop on purpose, after which the wid is not refilled by a respawn. */
export function onPurpose(why: RetireWhy): boolean {
  switch (why) {
    case 'scale':
    case 'stop':
    case 'rollout':
      return true;
    case 'recycle':
    case 'watchdog':
      return false;
    default:
      return assertNever(why);
  }
}

/** What a worker needs from its watcher. */
export interface WorkerHost {
  /** the watcher's config now (a reload may have changed it since the spawn) */
  readonly config: WatcherConfig;
  readonly log: Logger;
  readonly timers: Timers;
  now(): number;
  emit(event: EventInput): void;
  /** it passed its readiness check */
  onReady(worker: Worker): void;
}

export class Worker {
  /** unique per spawn: during a rolling restart two workers share a wid */
  readonly id: number;
  readonly wid: number;
  readonly proc: WorkerProcess;
  readonly notify: NotifyEndpoint | undefined;
  readonly startedAt: number;
  role: WorkerRole;
  statusText: string | undefined;
  mainPid: number | undefined;
  /** resolves once its exit has been handled */
  readonly done: Promise<ExitOutcome>;
  #state: WorkerState = { kind: 'starting' };
  readonly #host: WorkerHost;
  readonly #timers: ReturnType<typeof childController>;
  readonly #watchdog: Watchdog;
  #probe: ReadinessProbe | undefined;
  readonly #readyWaiters: Array<(ok: boolean) => void> = [];
  #resolveDone!: (o: ExitOutcome) => void;

  constructor(id: number, wid: number, proc: WorkerProcess, notify: NotifyEndpoint | undefined, role: WorkerRole, host: WorkerHost, signal: AbortSignal) {
    this.id = id;
    this.wid = wid;
    this.proc = proc;
    this.notify = notify;
    this.role = role;
    this.#host = host;
    this.startedAt = host.now();
    this.#watchdog = new Watchdog(host.config.watchdog_sec, this.startedAt);
    this.#timers = childController(signal);
    this.done = new Promise((r) => (this.#resolveDone = r));
  }

  get state(): WorkerState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** passed its readiness check (and has not said STOPPING=1 since) */
  get ready(): boolean {
    const s = this.#state;
    return s.kind === 'ready' || (s.kind === 'retiring' && s.wasReady);
  }

  /** its readiness check gave up */
  get readyFailed(): boolean {
    return this.#state.kind === 'unready' && this.#state.why === 'timeout';
  }

  /** waiting for READY=1 */
  get awaitingNotify(): boolean {
    return this.#probe?.byNotify === true && this.#state.kind === 'unready' && this.#state.why === 'checking';
  }

  /** It holds its wid: the pool does not start another worker for it. */
  get holdsWid(): boolean {
    const s = this.#state;
    return this.role !== 'outgoing' && s.kind !== 'exited' && !(s.kind === 'retiring' && onPurpose(s.why));
  }

  /** Spawned (it has a pid): start its readiness check, and its max_age if it has one (seconds). */
  begin(probe: ReadinessProbe, maxAge: number): void {
    if (this.#state.kind !== 'starting') return;
    this.#probe = probe;
    this.#state = { kind: 'unready', why: 'checking', deadline: undefined };
    const signal = this.#timers.controller.signal;
    const deadline = probe.start({ ready: () => this.#markReady(), failed: () => this.#checkFailed(), signal });
    if (deadline !== undefined && this.#state.kind === 'unready') this.#state = { kind: 'unready', why: 'checking', deadline };
    if (maxAge > 0) {
      later(this.#host.timers, maxAge * 1000, signal, () => {
        const fields = { watcher: this.#host.config.name, wid: this.wid, pid: this.pid, age_seconds: Math.round(maxAge) };
        this.#host.log.info('worker reached max_age: recycling it', fields);
        void this.retire('recycle');
      });
    }
  }

  /** Resolves true once ready, false if it exits or its check gives up first. */
  whenReady(): Promise<boolean> {
    const s = this.#state;
    switch (s.kind) {
      case 'ready':
        return Promise.resolve(true);
      case 'exited':
        return Promise.resolve(false);
      case 'unready':
        if (s.why === 'timeout') return Promise.resolve(false);
        break;
      case 'retiring':
        if (s.wasReady) return Promise.resolve(true);
        break;
      case 'starting':
        break;
      default:
        return assertNever(s);
    }
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** The graceful stop (stop_signal, SIGKILL after graceful_timeout). Resolves on the exit. */
  retire(why: RetireWhy): Promise<ExitOutcome> {
    const s = this.#state;
    switch (s.kind) {
      case 'exited':
        return Promise.resolve(s.outcome);
      case 'retiring':
        // a stop on purpose overrides a restart under way: its exit is then no failure
        if (onPurpose(why) && !onPurpose(s.why)) this.#state = { ...s, why };
        break;
      case 'starting':
      case 'unready':
      case 'ready':
        this.#state = { kind: 'retiring', why, wasReady: s.kind === 'ready' };
        break;
      default:
        return assertNever(s);
    }
    const c = this.#host.config;
    return this.proc.stop(c.stop_signal as NodeJS.Signals, c.graceful_timeout * 1000, c.stop_children);
  }

  /** SIGKILL its process group now. */
  destroy(): void {
    void this.proc.destroy();
  }

  /**
   * Its process exited: every timer and check ends, the notify channel closes, waiters
   * hear false. Returns the state it was in, which says what the exit means.
   */
  exited(outcome: ExitOutcome): WorkerState {
    const before = this.#state;
    if (before.kind === 'exited') return before;
    this.#state = { kind: 'exited', outcome };
    this.#timers.controller.abort();
    this.#timers.dispose();
    this.notify?.close();
    for (const r of this.#readyWaiters.splice(0)) r(false);
    this.#resolveDone(outcome);
    return before;
  }

  /** Drain its notify channel (a running worker only); returns how many datagrams were rejected. */
  drainNotify(now: number): number {
    if (!this.notify || this.proc.state.kind !== 'running') return 0;
    const host = this.#host;
    const name = host.config.name;
    const got = this.notify.drain(this.pid, now);
    const r = got.report;
    if (r) host.log.warn(`notify messages dropped: ${r.why}`, { watcher: name, wid: this.wid, pid: this.pid, dropped: r.dropped, sender_pid: r.senderPid, sender_uid: r.senderUid });
    const byNotify = this.#probe?.byNotify === true;
    for (const m of got.messages) {
      if (m.status !== undefined) this.statusText = m.status;
      if (m.mainPid !== undefined) this.mainPid = m.mainPid;
      if (m.watchdog) this.#watchdog.beat(now);
      if (m.ready && byNotify) this.#markReady();
      if (m.stopping && this.#state.kind === 'ready') {
        this.#state = { kind: 'unready', why: 'stopping' };
        host.emit({ type: 'worker.unready', watcher: name, wid: this.wid, pid: this.pid, why: 'stopping' });
      }
    }
    const s = this.#state;
    if (s.kind === 'unready' && s.why === 'checking' && s.deadline !== undefined && now > s.deadline) this.#checkFailed();
    if (this.#watchdog.overdue(now, this.ready || !byNotify)) {
      const fields = { watcher: name, wid: this.wid, pid: this.pid, watchdog_sec: host.config.watchdog_sec };
      host.log.warn('watchdog: no WATCHDOG=1 in time, restarting the worker', fields);
      void this.retire('watchdog');
    }
    return got.rejected;
  }

  #markReady(): void {
    if (this.#state.kind !== 'unready') return;
    const now = this.#host.now();
    this.#state = { kind: 'ready', since: now };
    for (const r of this.#readyWaiters.splice(0)) r(true);
    this.#watchdog.beat(now);
    this.#host.emit({ type: 'worker.ready', watcher: this.#host.config.name, wid: this.wid, pid: this.pid });
    this.#host.onReady(this);
  }

  #checkFailed(): void {
    const s = this.#state;
    if (s.kind !== 'unready' || s.why !== 'checking') return;
    this.#state = { kind: 'unready', why: 'timeout' };
    for (const r of this.#readyWaiters.splice(0)) r(false);
    const c = this.#host.config;
    this.#host.emit({ type: 'worker.unready', watcher: c.name, wid: this.wid, pid: this.pid, why: 'timeout', check: c.ready.kind });
  }
}

/** What an exit means for the pool, from the state the worker was in and its role. */
export function causeOf(before: WorkerState, role: WorkerRole, watcherRunning: boolean): Exclude<ExitCause, 'shortage'> {
  if (!watcherRunning || role === 'outgoing' || (before.kind === 'retiring' && onPurpose(before.why))) return 'stopped';
  if (role === 'probation') return 'rollout';
  return 'unexpected';
}
