/**
 * The tasks: runs by result, the last success, the last run's duration, skipped scheduled
 * runs. Read from the snapshot, whose task counters are kept from the task.* events
 * (supervisor/task-tally.ts), so start, stop and scheduled runs all count.
 *
 * The duration is a gauge of the last run (not a histogram): a task runs a few times a
 * day at most, too few observations for buckets to say more than the last value, and a
 * histogram's buckets would have to fit a 1 s check and a 1 h backup alike.
 */
import type { Registry } from 'prom-client';
import type { TaskResultKind, TaskStatus } from '../supervisor/task-tally.js';
import { counter, gauge } from './define.js';
import type { Scrape } from './scrape.js';

/** Every result, as the `result` label (a Record so a new one fails to compile until listed). */
const RESULTS = Object.keys({ success: 0, failure: 0, timeout: 0, 'spawn-failed': 0 } satisfies Record<TaskResultKind, 0>) as TaskResultKind[];

export function taskMetrics(registry: Registry, scrape: () => Scrape): void {
  const tasks = (): TaskStatus[] => scrape().snap.tasks ?? [];
  counter(registry, {
    name: 'ringmaster_task_runs_total',
    help: 'Runs of each task that ended (every attempt counted), by result: success, failure (an exit code or a signal), timeout, spawn-failed.',
    labelNames: ['task', 'result'] as const,
    samples: () => tasks().flatMap((t) => RESULTS.map((result) => [{ task: t.name, result }, t.runsByResult[result]] as const)),
  });
  gauge(registry, {
    name: 'ringmaster_task_last_success_timestamp_seconds',
    help: 'When the task last ended with exit 0, seconds since the epoch (absent until it has).',
    labelNames: ['task'] as const,
    samples: () => tasks().flatMap((t) => (t.lastSuccessAt === undefined ? [] : [[{ task: t.name }, t.lastSuccessAt / 1000] as const])),
  });
  gauge(registry, {
    name: 'ringmaster_task_duration_seconds',
    help: "How long the task's last run took, seconds (absent until it has run).",
    labelNames: ['task'] as const,
    samples: () => tasks().flatMap((t) => (t.lastRun === undefined ? [] : [[{ task: t.name }, t.lastRun.durationMs / 1000] as const])),
  });
  gauge(registry, {
    name: 'ringmaster_task_next_run_timestamp_seconds',
    help: 'A scheduled task: when its next run is due, seconds since the epoch (absent when it has none).',
    labelNames: ['task'] as const,
    samples: () => tasks().flatMap((t) => (t.nextRunAt === undefined ? [] : [[{ task: t.name }, t.nextRunAt / 1000] as const])),
  });
  counter(registry, {
    name: 'ringmaster_task_skipped_total',
    help: 'Scheduled runs of the task skipped because its previous run was still going.',
    labelNames: ['task'] as const,
    samples: () => tasks().map((t) => [{ task: t.name }, t.skipped] as const),
  });
}
