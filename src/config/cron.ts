/**
 * The cron library (croner), loaded on first use: only a config with a scheduled task
 * needs it, and it costs 10-30 ms and ~150 KiB of heap to load. A PID 1 that drops its
 * privileges loads it before (preloadParsers): a reload after the drop may bring the first
 * schedule, and the install directory may then be unreadable.
 *
 * Why croner (and not cron-parser): no dependency (cron-parser needs luxon, 4.5 MB), 224 KB
 * installed, imported in 25 ms against 217 ms for cron-parser + luxon (medians, loaded machine),
 * time zones through Intl, a 5-or-6-field mode, and DST rules written down (a fixed-time
 * job in a gap runs once, after the gap; a repeated hour runs it once). BENCHMARKS.md has
 * the figures.
 */
import type { Cron as CronClass } from 'croner';
import { requireVendored } from './vendored.js';

type CronModule = { Cron: typeof CronClass };

let cronModule: CronModule | undefined;

/** croner, loaded now if it is not yet; throws when it cannot be loaded. */
export function loadCron(): CronModule {
  // its CommonJS build: synchronous, as the config loader is
  cronModule ??= requireVendored('croner') as CronModule;
  return cronModule;
}

/** Whether croner is loaded already (for tests of the lazy load). */
export function cronLoaded(): boolean {
  return cronModule !== undefined;
}

/** Longer expressions are refused before the library sees them (a real one is under 100 characters). */
export const MAX_SCHEDULE_LENGTH = 256;

/** A schedule's next runs. */
export interface CronSchedule {
  /** the first run strictly after `after`, or null when there is none */
  nextAfter(after: Date): Date | null;
}

/**
 * A parsed schedule: 5 fields (minute hour day-of-month month day-of-week), or 6 with
 * seconds first, in `timezone` (IANA name; local time when undefined). Day of month and day
 * of week combine with OR, as in Vixie cron. Throws the library's error on a bad expression.
 */
export function parseSchedule(expr: string, timezone: string | undefined): CronSchedule {
  const { Cron } = loadCron();
  const cron = new Cron(expr.trim(), { paused: true, mode: '5-or-6-parts', ...(timezone === undefined ? {} : { timezone }) });
  return { nextAfter: (after) => cron.nextRun(after) };
}
