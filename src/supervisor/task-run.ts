/**
 * One run of a task (config `tasks:` / `[task:NAME]`): the contract between what runs a
 * task (the runner, through execa), what decides when (start, stop, a schedule) and
 * what reports it (events, status, metrics).
 */
import type { TaskConfig } from '../config/types.js';

/** How one run of a task ended. */
export interface TaskRunResult {
  /** `success`: exit 0; `failure`: another code or a signal; `timeout`: killed past `timeout`; `spawn-failed`: never ran */
  kind: 'success' | 'failure' | 'timeout' | 'spawn-failed';
  /** the exit status as command mode reports it: the code, or 128+N for signal N; 127/126 for a spawn that failed */
  status: number;
  /** the signal that ended it, when one did (SIGTERM, SIGKILL...) */
  signal?: string;
  durationMs: number;
  /** the last lines of its output (stdout and stderr, interleaved), at most 20, for the error message */
  tail: string[];
  /** for spawn-failed and timeout: what happened, in words */
  message?: string;
}

export interface TaskRunContext {
  /** the init's environment, for copy_env */
  baseEnv: NodeJS.ProcessEnv;
  /** where relative working_dir and commands resolve */
  cwd: string;
  /** every line of its output, as the task wrote it (the runner labels it with `output`) */
  onLine?(stream: 'stdout' | 'stderr', line: string): void;
  /** called once it has a pid (the init owns it, so the reaper leaves it to the runner) */
  onSpawn?(pid: number): void;
  /** called once its pid has been waited for */
  onExit?(pid: number): void;
}

/** Run a task once; never rejects. An aborted `signal` stops it as a timeout does (TERM, then KILL), with result `failure`. */
export type TaskRunner = (task: TaskConfig, ctx: TaskRunContext, signal?: AbortSignal) => Promise<TaskRunResult>;
