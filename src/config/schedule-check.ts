/**
 * A task's `schedule` checked at load time: the message of what is wrong with it, or
 * undefined when it is a schedule ringmaster can run. (Placeholder until the cron library
 * is in: it only counts the fields.)
 */
export function checkSchedule(expr: string, timezone: string | undefined): string | undefined {
  void timezone;
  const n = expr.trim().split(/\s+/).length;
  if (n !== 5 && n !== 6) return `must be a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds first), got ${n}`;
  return undefined;
}
