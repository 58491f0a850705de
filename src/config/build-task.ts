/**
 * A validated task section to a TaskConfig: argv, env and rlimits as a watcher's
 * (build-command.ts), the task defaults, and the checks between its options: `schedule`
 * through checkSchedule (schedule-check.ts), `timezone` known to Intl and only with a
 * schedule, no `when: stop` and no `retries` on a scheduled task.
 *
 * `env_file` is read as a watcher's (env-files.ts): its variables above the global
 * `env_file`, below `[env]` and the task's own `env`.
 */
import { checkExecStrings, commandOf, complainer, rlimitsOf } from './build-command.js';
import { TASK_DEFAULTS } from './defaults.js';
import { sectionEnv, type EnvFiles } from './env-files.js';
import type { Budget } from './limits.js';
import { MAX_SCHEDULE_LENGTH } from './options.js';
import { checkSchedule } from './schedule-check.js';
import { didYouMean } from './suggest.js';
import type { RawSource } from './tree.js';
import type { ConfigIssue, TaskConfig } from './types.js';

export interface TaskContext {
  src: RawSource;
  globalEnv: Readonly<Record<string, string>>;
  /** the global `env_file`'s files and variables */
  globalFiles: EnvFiles;
  budget: Budget;
  issues: ConfigIssue[];
}

/** Build one task. */
export function buildTask(name: string, o: Record<string, unknown>, ctx: TaskContext): TaskConfig {
  const { src, issues } = ctx;
  const path = ['tasks', name];
  const bad = complainer(src, path, o, issues);
  const command = commandOf(o, bad, issues, path);
  const t = { name, argv: command.argv, cmd: command.cmd, ...TASK_DEFAULTS } as TaskConfig;
  for (const key of Object.keys(TASK_DEFAULTS) as Array<keyof typeof TASK_DEFAULTS>) {
    if (o[key] !== undefined && key !== 'env_file') (t as unknown as Record<string, unknown>)[key] = o[key];
  }
  ({ env_file: t.env_file, env: t.env } = sectionEnv(src, [...path, 'env_file'], o['env_file'], ctx, o['env']));
  // resolved to the targets' names by the build (depends.ts); not a list only when the schema already said so
  t.depends_on = Array.isArray(t.depends_on) ? [...t.depends_on] : [];
  t.rlimits = rlimitsOf(path, o, src, issues);
  checkExecStrings(command, t.env, bad);
  if (t.backoff_initial > t.backoff_max) {
    bad('backoff_initial', `must be <= backoff_max (${t.backoff_max}), got ${t.backoff_initial}`, 'RM_CONFIG_CONFLICT');
  }

  for (const key of ['schedule', 'timezone'] as const) {
    const v = t[key];
    if (v !== undefined && v.length > MAX_SCHEDULE_LENGTH) {
      bad(key, `must be at most ${MAX_SCHEDULE_LENGTH} characters, got ${v.length}; a cron expression or a time zone is a few dozen`);
      t[key] = undefined;
    }
  }
  if (t.timezone !== undefined) {
    if (!isTimeZone(t.timezone)) {
      const hint = didYouMean(t.timezone, Intl.supportedValuesOf('timeZone')) || '; write an IANA time zone such as UTC or Europe/Paris';
      bad('timezone', `must be an IANA time zone, got ${JSON.stringify(t.timezone)}${hint}`);
    }
    if (t.schedule === undefined) {
      bad('timezone', 'is the time zone of schedule, and this task has none; add a schedule or remove timezone', 'RM_CONFIG_CONFLICT');
    }
  }
  if (t.schedule !== undefined) {
    const zoneOk = t.timezone === undefined || isTimeZone(t.timezone);
    const why = checkSchedule(t.schedule, zoneOk ? t.timezone : undefined);
    if (why !== undefined) bad('schedule', why.includes(t.schedule) || t.schedule.trim() === '' ? why : `${why} (${JSON.stringify(t.schedule)})`);
    if (o['when'] === 'stop') {
      bad('when', 'cannot be stop for a scheduled task: a scheduled task runs on its schedule while ringmaster runs, a stop task once at shutdown; remove when or schedule (or make two tasks)', 'RM_CONFIG_CONFLICT');
    }
    if (t.retries > 0) {
      bad('retries', `cannot be set on a scheduled task (got ${t.retries}): its next scheduled run is the retry; remove retries`, 'RM_CONFIG_CONFLICT');
    }
  }
  return t;
}

/** Whether Intl (the ICU of this Node.js) knows this time zone; kept as written, not canonicalized (`EST` stays `EST`). */
export function isTimeZone(zone: string): boolean {
  if (zone.trim() === '' || zone !== zone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
