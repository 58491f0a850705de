/**
 * One scheduled task (`schedule:` on a task): runs it on its cron schedule, never two runs
 * at once, while ringmaster runs. Not at start: only on its schedule.
 *
 *   idle --start()--> armed --due--> armed + a run (task.started ... task.finished)
 *                       |  \--due while a run is going--> armed (task.skipped, counted)
 *                       \--stop()--> stopped (the timer cancelled, a run going is aborted)
 *   idle --stop()--> stopped;  stop() and start() again: no (a reload makes a new Scheduler)
 *
 * Time: the next run is computed by the cron library from the wall clock (in the task's
 * time zone), and waited for with the injected Timers, at most MAX_WAIT_MS at a time. At
 * each wake-up the next run is computed again from the current time, so that:
 * - a wait longer than setTimeout's 2^31-1 ms cap (a yearly schedule) is a chain of waits;
 * - a clock stepped forward is noticed within MAX_WAIT_MS, and the run that was due runs
 *   once (not once per missed instant);
 * - a clock stepped back by up to BACKWARD_WINDOW_MS does not run an instant again that
 *   already ran (Vixie cron's rule); stepped back further, the schedule follows the new
 *   clock (the clock was wrong before, not now).
 *
 * A scheduled run is one attempt (the next tick is its retry). Its events (task.started
 * with the pid once spawned, task.finished, task.skipped) are emitted here, with
 * `scheduled: true`; the TaskRunner emits none.
 */
import type { CronSchedule } from '../config/cron.js';
import type { TaskConfig } from '../config/types.js';
import { childController, later, realTimers, type Timers } from './edges.js';
import type { EventInput } from './events.js';
import { assertNever } from './process.js';
import type { TaskRunContext, TaskRunner, TaskRunResult } from './task-run.js';

/** The longest single wait: a clock stepped forward is noticed within this. */
export const MAX_WAIT_MS = 60_000;
/** A clock stepped back by at most this does not repeat runs (Vixie cron uses 3 hours, for DST). */
export const BACKWARD_WINDOW_MS = 3 * 3600_000;

export interface SchedulerOptions {
  task: TaskConfig;
  schedule: CronSchedule;
  runner: TaskRunner;
  /** the runner's context; its onSpawn is called too */
  ctx: TaskRunContext;
  emit(event: EventInput): void;
  /** @default realTimers */
  timers?: Timers;
  /** the wall clock, ms since the epoch. @default Date.now */
  now?: () => number;
}

/** What `ctl status` and metrics say about a scheduled task. */
export interface ScheduleStatus {
  task: string;
  schedule: string;
  timezone: string | undefined;
  /** ms since the epoch of the next run; undefined when stopped, or when the schedule has no next run */
  next: number | undefined;
  running: boolean;
  /** runs started since ringmaster started (a reload that keeps the schedule keeps the count) */
  runs: number;
  /** ticks skipped because the previous run was still going */
  skipped: number;
  /** the last run that ended: when it started (ms since the epoch) and how it ended */
  last: { startedAt: number; result: TaskRunResult } | undefined;
}

type State =
  | { kind: 'idle' }
  | { kind: 'armed'; due: number; cancel: () => void }
  /** the schedule has no next run (it passed its last date) */
  | { kind: 'ended' }
  | { kind: 'stopped' };

export class Scheduler {
  #state: State = { kind: 'idle' };
  readonly #o: SchedulerOptions;
  readonly #timers: Timers;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  /** the run going, if any */
  #run: Promise<void> | undefined;
  /** the instant of the last tick that fired (ran or was skipped) */
  #lastDue: number | undefined;
  #runs = 0;
  #skipped = 0;
  #last: ScheduleStatus['last'];

  constructor(o: SchedulerOptions) {
    this.#o = o;
    this.#timers = o.timers ?? realTimers;
    this.#now = o.now ?? Date.now;
  }

  get task(): TaskConfig {
    return this.#o.task;
  }

  /** Carry the counters and last result of the scheduler this one replaces (a reload that changed the task). */
  inherit(from: ScheduleStatus): void {
    this.#runs = from.runs;
    this.#skipped = from.skipped;
    this.#last = from.last;
  }

  /** Arm the timer for the first run after now. Only from idle. */
  start(): void {
    if (this.#state.kind !== 'idle') return;
    this.#arm();
  }

  /** Cancel the timer and abort a run going (the runner stops it: TERM, then KILL); resolves once it ended. Idempotent. */
  async stop(): Promise<void> {
    const s = this.#state;
    switch (s.kind) {
      case 'armed':
        s.cancel();
        break;
      case 'idle':
      case 'ended':
      case 'stopped':
        break;
      default:
        assertNever(s);
    }
    this.#state = { kind: 'stopped' };
    this.#stop.abort();
    await this.#run;
  }

  status(): ScheduleStatus {
    const s = this.#state;
    return {
      task: this.#o.task.name,
      schedule: this.#o.task.schedule ?? '',
      timezone: this.#o.task.timezone,
      next: s.kind === 'armed' ? s.due : undefined,
      running: this.#run !== undefined,
      runs: this.#runs,
      skipped: this.#skipped,
      last: this.#last,
    };
  }

  #arm(): void {
    const now = this.#now();
    const due = this.#nextDue(now);
    if (due === undefined) {
      this.#state = { kind: 'ended' };
      return;
    }
    const wait = Math.min(Math.max(due - now, 0), MAX_WAIT_MS);
    const cancel = later(this.#timers, wait, this.#stop.signal, () => this.#wake());
    this.#state = { kind: 'armed', due, cancel };
  }

  #nextDue(now: number): number | undefined {
    const last = this.#lastDue;
    // stepped back a little: what already ran stays done
    const from = last !== undefined && last >= now && last - now <= BACKWARD_WINDOW_MS ? last : now;
    let next: Date | null;
    try {
      next = this.#o.schedule.nextAfter(new Date(from));
    } catch {
      next = null; // the library found no date it can compute (checked at load: it should not happen)
    }
    return next === null ? undefined : next.getTime();
  }

  #wake(): void {
    const s = this.#state;
    if (s.kind !== 'armed') return;
    const now = this.#now();
    if (now >= s.due) this.#fire(s.due);
    // a capped wait, a clock stepped back, or the tick just fired: from the clock again
    this.#arm();
  }

  #fire(due: number): void {
    this.#lastDue = due;
    const task = this.#o.task.name;
    if (this.#run !== undefined) {
      this.#skipped++;
      this.#o.emit({ type: 'task.skipped', task, reason: 'overlap' });
      return;
    }
    this.#runs++;
    const run = this.#runOnce().finally(() => {
      if (this.#run === run) this.#run = undefined;
    });
    this.#run = run;
  }

  async #runOnce(): Promise<void> {
    const { task, runner, ctx, emit } = this.#o;
    const { controller, dispose } = childController(this.#stop.signal);
    const startedAt = this.#now();
    let started = false;
    const onSpawn = (pid: number): void => {
      ctx.onSpawn?.(pid);
      if (started) return;
      started = true;
      emit({ type: 'task.started', task: task.name, attempt: 1, pid, scheduled: true });
    };
    let result: TaskRunResult;
    try {
      result = await runner(task, { ...ctx, onSpawn }, controller.signal);
    } catch (err) {
      // the runner never rejects; if it does (a bug), the schedule goes on
      result = { kind: 'spawn-failed', status: 127, durationMs: this.#now() - startedAt, tail: [], message: (err as Error).message };
    } finally {
      dispose();
    }
    if (!started) emit({ type: 'task.started', task: task.name, attempt: 1, pid: undefined, scheduled: true });
    this.#last = { startedAt, result };
    emit({ type: 'task.finished', task: task.name, attempt: 1, scheduled: true, result });
  }
}
