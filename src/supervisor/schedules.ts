/**
 * The scheduled tasks of a config (`tasks` with a `schedule`), one Scheduler each, while
 * ringmaster runs:
 *
 *   idle --start(config, runner)--> running --reconfigure(config)--> running
 *   idle, running --stop()--> stopped (every timer cancelled, runs going aborted and waited for)
 *
 * A reload (reconfigure) stops the schedulers of removed tasks, starts those of added
 * ones, and replaces those whose task changed (the new one keeps the counters; a run of the
 * old one still going is aborted first, so that two runs of one task never overlap). A task
 * whose config did not change keeps its scheduler, timer and run untouched.
 */
import { parseSchedule } from '../config/cron.js';
import type { Config, TaskConfig } from '../config/types.js';
import type { Timers } from './edges.js';
import type { EventInput } from './events.js';
import { assertNever } from './process.js';
import { Scheduler, type ScheduleStatus } from './schedule.js';
import type { TaskRunContext, TaskRunner } from './task-run.js';

export interface SchedulesOptions {
  emit(event: EventInput): void;
  ctx: TaskRunContext;
  timers?: Timers;
  now?: () => number;
}

type State = { kind: 'idle' } | { kind: 'running'; runner: TaskRunner } | { kind: 'stopped' };

/** The scheduled tasks of `config`. */
export function scheduledTasks(config: Pick<Config, 'tasks'>): TaskConfig[] {
  return config.tasks.filter((t) => t.schedule !== undefined);
}

export class Schedules {
  #state: State = { kind: 'idle' };
  readonly #o: SchedulesOptions;
  /** by lower-case task name */
  readonly #byName = new Map<string, Scheduler>();

  constructor(o: SchedulesOptions) {
    this.#o = o;
  }

  /** Start a scheduler for each scheduled task of `config`. Only from idle. */
  start(config: Pick<Config, 'tasks'>, runner: TaskRunner): void {
    if (this.#state.kind !== 'idle') return;
    this.#state = { kind: 'running', runner };
    for (const t of scheduledTasks(config)) this.#add(t, runner);
  }

  /** Apply a reloaded config: added, removed and changed schedules. Resolves once removed or replaced runs ended. */
  async reconfigure(config: Pick<Config, 'tasks'>): Promise<void> {
    const s = this.#state;
    switch (s.kind) {
      case 'idle':
      case 'stopped':
        return;
      case 'running':
        break;
      default:
        assertNever(s);
    }
    const wanted = new Map(scheduledTasks(config).map((t) => [t.name.toLowerCase(), t]));
    const ending: Array<Promise<void>> = [];
    for (const [name, old] of this.#byName) {
      const t = wanted.get(name);
      if (t !== undefined && sameTask(old.task, t)) {
        wanted.delete(name);
        continue;
      }
      this.#byName.delete(name);
      ending.push(
        old.stop().then(() => {
          // changed: the new one starts once the old run is over (never two at once)
          if (t !== undefined && this.#state.kind === 'running') this.#add(t, this.#state.runner, old.status());
        }),
      );
      wanted.delete(name);
    }
    for (const t of wanted.values()) this.#add(t, s.runner);
    await Promise.all(ending);
  }

  /** Stop every scheduler (timers cancelled, runs aborted); resolves once the runs ended. Idempotent. */
  async stop(): Promise<void> {
    this.#state = { kind: 'stopped' };
    const all = [...this.#byName.values()];
    this.#byName.clear();
    await Promise.all(all.map((s) => s.stop()));
  }

  /** One entry per scheduled task, in name order. */
  status(): ScheduleStatus[] {
    return [...this.#byName.values()].map((s) => s.status()).sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));
  }

  #add(task: TaskConfig, runner: TaskRunner, inherit?: ScheduleStatus): void {
    const { emit, ctx, timers, now } = this.#o;
    const schedule = parseSchedule(task.schedule ?? '', task.timezone);
    const s = new Scheduler({ task, schedule, runner, ctx, emit, ...(timers ? { timers } : {}), ...(now ? { now } : {}) });
    if (inherit) s.inherit(inherit);
    this.#byName.set(task.name.toLowerCase(), s);
    s.start();
  }
}

/** Same config (frozen plain data: compared as JSON, which keeps key order from the same builder). */
function sameTask(a: TaskConfig, b: TaskConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
