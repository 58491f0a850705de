/**
 * A task run to its end with its retries: each attempt through the TaskRunner, its pid
 * owned by the init while it runs (the reaper leaves it to libuv), `task.started` and
 * `task.finished` emitted for each, and the task's backoff between two attempts. Start
 * tasks (start-graph.ts) and stop tasks (Arbiter.runStopTasks) run through here.
 *
 * The first retry waits `backoff_initial` seconds, each next one `backoff_multiplier` times
 * longer up to `backoff_max`, with +/- `backoff_jitter` (a failed migration is retried once
 * its database had time to come up, not at once as a crashed worker is).
 */
import type { TaskConfig } from '../config/types.js';
import { backoffDelay } from './backoff.js';
import { sleep, type Timers } from './edges.js';
import type { EventInput } from './events.js';
import type { TaskRunContext, TaskRunner, TaskRunResult } from './task-run.js';

export interface TaskAttemptsHost {
  run: TaskRunner;
  events: { emit(e: EventInput): void };
  own(pid: number): void;
  disown(pid: number): void;
  baseEnv: NodeJS.ProcessEnv;
  cwd: string;
  timers: Timers;
  random?: () => number;
}

/** Seconds before the retry that follows the `attempt`-th failed attempt. */
export function retryDelay(task: TaskConfig, attempt: number, random: () => number = Math.random): number {
  const policy = { initial: task.backoff_initial, multiplier: task.backoff_multiplier, max: task.backoff_max, jitter: task.backoff_jitter };
  return backoffDelay(attempt + 1, policy, random);
}

/** Run `task` until it succeeds or its retries are spent (or `signal` aborts); resolves with the last attempt's result and how many there were. */
export async function runAttempts(
  task: TaskConfig,
  host: TaskAttemptsHost,
  signal: AbortSignal,
  scheduled = false,
): Promise<{ result: TaskRunResult; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    let pid: number | undefined;
    const ctx: TaskRunContext = {
      baseEnv: host.baseEnv,
      cwd: host.cwd,
      onSpawn: (p) => {
        pid = p;
        host.own(p);
      },
      onExit: (p) => host.disown(p),
    };
    // the runner spawns before its first await: the pid is known (and owned) on return
    const running = host.run(task, ctx, signal);
    host.events.emit({ type: 'task.started', task: task.name, attempt, pid, scheduled });
    // the runner never rejects (its contract); should it, the run failed rather than the init
    const result = await running.catch((err: unknown): TaskRunResult => ({ kind: 'spawn-failed', status: 126, durationMs: 0, tail: [], message: String((err as Error)?.message ?? err) }));
    const again = result.kind !== 'success' && attempt <= task.retries && !signal.aborted;
    const retryIn = again ? retryDelay(task, attempt, host.random) : undefined;
    host.events.emit({ type: 'task.finished', task: task.name, attempt, scheduled, result, ...(retryIn === undefined ? {} : { retryIn }) });
    if (!again) return { result, attempts: attempt };
    if (!(await sleep(host.timers, (retryIn ?? 0) * 1000, signal))) return { result, attempts: attempt };
  }
}
