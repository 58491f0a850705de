/**
 * A task's `schedule` checked at load time (and at each reload): the cron library parses
 * it, in the task's time zone, and it must fire at least once.
 */
import { loadCron, MAX_SCHEDULE_LENGTH, parseSchedule } from './cron.js';

const EXAMPLES = 'e.g. "*/5 * * * *" (every 5 minutes) or "*/10 * * * * *" (every 10 seconds, seconds first)';

/**
 * The message of what is wrong with `expr` (and `timezone`), or undefined when it is a
 * schedule ringmaster can run. The message starts with what is wrong and ends with the fix;
 * the caller puts the key and position in front.
 */
export function checkSchedule(expr: string, timezone: string | undefined): string | undefined {
  if (expr.length > MAX_SCHEDULE_LENGTH) return `is ${expr.length} characters long, over the limit of ${MAX_SCHEDULE_LENGTH}; a cron expression has 5 or 6 short fields, ${EXAMPLES}`;
  const fields = expr.trim() === '' ? 0 : expr.trim().split(/\s+/).length;
  const nickname = fields === 1 && expr.trim().startsWith('@');
  if (!nickname && fields !== 5 && fields !== 6) {
    return `must be a cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${fields}; ${EXAMPLES}`;
  }
  if (timezone !== undefined) {
    const tz = checkTimezone(timezone);
    if (tz !== undefined) return tz;
  }
  try {
    loadCron();
  } catch (err) {
    // a reload after the privilege drop, from an install the user cannot read: a config error, not a crash
    const first = (err as Error).message.split('\n')[0];
    return `cannot be checked: the cron library (croner) cannot be loaded (${first}); reinstall ringmaster, or restart it so that it loads the library before dropping privileges`;
  }
  let schedule;
  try {
    schedule = parseSchedule(expr, timezone);
  } catch (err) {
    return `is not a valid cron expression: ${libraryMessage((err as Error).message, fields)}; ${EXAMPLES}`;
  }
  if (schedule.nextAfter(new Date()) === null) {
    return `never fires: no date matches it (a day that no month has, such as February 30); check the day-of-month and month fields, ${EXAMPLES}`;
  }
  return undefined;
}

/** Why `timezone` is no time zone this Node knows, or undefined. */
export function checkTimezone(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    const shown = timezone.length > 64 ? `${timezone.slice(0, 64)}...` : timezone;
    return `has timezone ${JSON.stringify(shown)}, which is not a time zone; give an IANA name such as "UTC", "Europe/Paris" or "America/New_York", or leave it out for the init's local time`;
  }
}

/** croner's message without its prefix and without the expression it echoes (the caller shows it once). */
function libraryMessage(message: string, fields: number): string {
  // croner counts from 0 and puts seconds first: a 5-field expression's minute is its entry 1
  const offset = fields === 6 ? 1 : 0;
  return message
    .replace(/^CronPattern: /, '')
    .replace(/ \('[^]*?'\)/, '')
    .replace(/, but pattern '[^]*?' has/, ', got')
    .replace(/configuration entry (\d+) \(([^]*?)\)/, (_all, n: string, field: string) => `field ${Number(n) + offset} (${shorten(field)})`)
    .replace(/\.$/, '')
    .replace(/^./, (c) => c.toLowerCase());
}

/** A field as JSON (a NUL or a control character shows), cut at 20 characters. */
function shorten(field: string): string {
  return JSON.stringify(field.length > 20 ? `${field.slice(0, 20)}...` : field);
}
