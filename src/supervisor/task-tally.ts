/**
 * The tasks' counters and last runs, as `ctl status` and /metrics show them, kept from the
 * task.* events (whoever emits them: the start graph, the stop tasks, the scheduler), so
 * the log, `ctl events`, status and metrics never disagree.
 */
import type { TaskConfig } from '../config/types.js';
import type { EventInput } from './events.js';
import type { TaskRunResult } from './task-run.js';

export type TaskResultKind = TaskRunResult['kind'];

/**
 * A task's state: `pending` (not run yet: a start task before its turn, a stop task before
 * the shutdown, a scheduled task before its first tick), `waiting` (held back by its
 * depends_on), `running`, `retrying` (failed, the next attempt is due), `succeeded`, `failed`.
 */
export type TaskState = 'pending' | 'waiting' | 'running' | 'retrying' | 'succeeded' | 'failed';

export interface TaskLastRun {
  result: TaskResultKind;
  status: number;
  signal?: string;
  durationMs: number;
  /** ms since epoch */
  finishedAt: number;
  attempt: number;
  scheduled: boolean;
  /** for a failed run: what happened, in words */
  message?: string;
}

export interface TaskStatus {
  name: string;
  /** `start`, `stop`, or `schedule` for a task with a schedule */
  when: 'start' | 'stop' | 'schedule';
  schedule?: string;
  state: TaskState;
  /** state `waiting`: the names in its depends_on it still waits for */
  waitingFor?: string[];
  /** state `running`: its pid and attempt */
  pid?: number;
  attempt?: number;
  /** runs that ended, every attempt counted */
  runs: number;
  runsByResult: Record<TaskResultKind, number>;
  /** scheduled runs skipped because the previous one still ran */
  skipped: number;
  lastRun?: TaskLastRun;
  /** ms since epoch of the last run that succeeded */
  lastSuccessAt?: number;
  /** a scheduled task: ms since epoch of its next run (none when its schedule has none, or it is stopped) */
  nextRunAt?: number;
}

/** What the tally keeps of a task, whatever its config says. */
type Counts = Omit<TaskStatus, 'name' | 'when' | 'schedule' | 'waitingFor'>;

const zero = (): Counts => ({ state: 'pending', runs: 0, runsByResult: { success: 0, failure: 0, timeout: 0, 'spawn-failed': 0 }, skipped: 0 });

export class TaskTally {
  readonly #by = new Map<string, Counts>();

  #of(name: string): Counts {
    const k = name.toLowerCase();
    let c = this.#by.get(k);
    if (!c) this.#by.set(k, (c = zero()));
    return c;
  }

  /** Count one event (any other type is ignored); `at` is ms since epoch. */
  record(e: EventInput, at: number): void {
    switch (e.type) {
      case 'task.started': {
        const c = this.#of(e.task);
        c.state = 'running';
        c.pid = e.pid;
        c.attempt = e.attempt;
        return;
      }
      case 'task.finished': {
        const c = this.#of(e.task);
        const r = e.result;
        c.runs++;
        c.runsByResult[r.kind]++;
        c.lastRun = {
          result: r.kind,
          status: r.status,
          durationMs: r.durationMs,
          finishedAt: at,
          attempt: e.attempt,
          scheduled: e.scheduled,
          ...(r.signal === undefined ? {} : { signal: r.signal }),
          ...(r.message === undefined ? {} : { message: r.message }),
        };
        if (r.kind === 'success') c.lastSuccessAt = at;
        c.state = r.kind === 'success' ? 'succeeded' : e.retryIn !== undefined ? 'retrying' : 'failed';
        delete c.pid;
        return;
      }
      case 'task.skipped':
        this.#of(e.task).skipped++;
        return;
      default:
        return;
    }
  }

  /** The status of `task`; `waitingFor` when the start graph holds it back. */
  status(task: TaskConfig, waitingFor: string[] | undefined): TaskStatus {
    const c = this.#by.get(task.name.toLowerCase()) ?? zero();
    const waiting = waitingFor !== undefined && c.runs === 0 && c.state === 'pending';
    const s: TaskStatus = {
      name: task.name,
      when: task.schedule !== undefined ? 'schedule' : task.when,
      state: waiting ? 'waiting' : c.state,
      runs: c.runs,
      runsByResult: { ...c.runsByResult },
      skipped: c.skipped,
    };
    if (task.schedule !== undefined) s.schedule = task.schedule;
    if (waiting) s.waitingFor = waitingFor;
    if (c.state === 'running') {
      if (c.pid !== undefined) s.pid = c.pid;
      if (c.attempt !== undefined) s.attempt = c.attempt;
    }
    if (c.lastRun) s.lastRun = { ...c.lastRun };
    if (c.lastSuccessAt !== undefined) s.lastSuccessAt = c.lastSuccessAt;
    return s;
  }
}
