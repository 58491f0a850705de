/**
 * The scheduled tasks of a config-mode init, around the supervisor's Schedules: the task
 * runner loaded before the privilege drop (when the config has a schedule), the schedules
 * started once the watchers are, applied again after each reload, stopped first at
 * shutdown.
 *
 *   idle --preload(config)--> idle (runner loaded if needed) --start(config)--> running
 *   running --reconfigure(config)--> running;  any --stop()--> stopped
 *
 * A reload that brings the first schedule loads the runner then; if it cannot be loaded
 * (after the drop, an unreadable install), the log says so and the schedules do not run,
 * while the watchers go on.
 */
import { loadCron } from '../config/cron.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { EventInput } from '../supervisor/events.js';
import { Schedules, scheduledTasks } from '../supervisor/schedules.js';
import type { ScheduleStatus } from '../supervisor/schedule.js';
import type { TaskRunContext, TaskRunner } from '../supervisor/task-run.js';

export interface ScheduledTasksOptions {
  /** resolves with the task runner (imports execa); undefined: scheduled tasks are not run (said once in the log) */
  loadRunner: (() => Promise<TaskRunner>) | undefined;
  emit(event: EventInput): void;
  ctx: TaskRunContext;
  log: Logger;
}

export class ScheduledTasks {
  readonly #o: ScheduledTasksOptions;
  readonly #schedules: Schedules;
  #runner: Promise<TaskRunner | undefined> | undefined;
  #started = false;
  #stopped = false;

  constructor(o: ScheduledTasksOptions) {
    this.#o = o;
    this.#schedules = new Schedules({ emit: o.emit, ctx: o.ctx });
  }

  /**
   * Call it just before dropping privileges: loads the runner if `config` has a schedule,
   * and the cron library if privileges are dropped (a reload after the drop may bring the
   * first schedule, and the config loader checks it with the library; ~10 ms).
   */
  async preload(config: Config): Promise<void> {
    const g = config.ringmaster;
    if (g.user !== undefined || g.group !== undefined) {
      try {
        loadCron();
      } catch (err) {
        this.#o.log.warn(`the cron library cannot be loaded: ${(err as Error).message}; a reload that adds a schedule will be refused`);
      }
    }
    if (scheduledTasks(config).length > 0) await this.#loadRunner();
  }

  /** Start the schedules of `config` (after the watchers started). */
  async start(config: Config): Promise<void> {
    this.#started = true;
    await this.#apply(config);
  }

  /** Apply a config that a reload put in force. */
  async reconfigure(config: Config): Promise<void> {
    if (this.#started) await this.#apply(config);
  }

  /** Cancel every schedule and abort the runs going; resolves once they ended. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#schedules.stop();
  }

  status(): ScheduleStatus[] {
    return this.#schedules.status();
  }

  /** Never rejects (its callers do not wait for it): a problem is logged, the watchers go on. */
  async #apply(config: Config): Promise<void> {
    try {
      await this.#applyNow(config);
    } catch (err) {
      this.#o.log.error(`scheduled tasks: ${(err as Error).message}; their schedules do not run until the next reload`);
    }
  }

  async #applyNow(config: Config): Promise<void> {
    if (this.#stopped) return;
    const runner = scheduledTasks(config).length > 0 ? await this.#loadRunner() : undefined;
    if (this.#stopped) return;
    if (runner === undefined) {
      await this.#schedules.reconfigure({ tasks: [] });
      return;
    }
    this.#schedules.start(config, runner); // the first time; then a no-op
    await this.#schedules.reconfigure(config);
  }

  #loadRunner(): Promise<TaskRunner | undefined> {
    const { loadRunner, log } = this.#o;
    this.#runner ??= (async () => {
      if (loadRunner === undefined) {
        log.error('scheduled tasks are not run: this ringmaster has no task runner');
        return undefined;
      }
      try {
        return await loadRunner();
      } catch (err) {
        log.error(`scheduled tasks are not run: the task runner cannot be loaded: ${(err as Error).message}; restart ringmaster`);
        this.#runner = undefined; // the next reload tries again
        return undefined;
      }
    })();
    return this.#runner;
  }
}
