/**
 * The TaskRunner (task-run.ts) of ringmaster: one run of a task through execa, which does
 * the timeout (TERM, then KILL after the task's graceful_timeout: forceKillAfterDelay),
 * the cancel (an aborted signal: a shutdown during the run), the environment, the
 * directory and the ids; this module reads the output line by line (labelled as the
 * task's `output` says, and the last TAIL_LINES kept for the error message) and turns what
 * execa reports into a TaskRunResult.
 *
 * execa costs ~200 ms to import: loadTaskRunner() imports it once, only for a config that
 * has tasks, and before the privilege drop (the install may be unreadable after it).
 *
 * The pid is owned (TaskRunContext.onSpawn) from the call that spawned it until libuv has
 * reaped it, so the init's reaper never takes its exit status from execa.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { TaskConfig } from '../config/types.js';
import { setRlimit } from '../sys/libc.js';
import { signalNumber } from '../sys/signals.js';
import { writeAll } from './output.js';
import type { TaskRunContext, TaskRunner, TaskRunResult } from './task-run.js';
import { resolveIds } from './watcher-status.js';
import { INHERITED_HANDOFF, PRLIMIT, rlimitPlan, SETPRIV, userSwitch } from './worker-spec.js';

/** How many of a run's last output lines a result keeps. */
export const TAIL_LINES = 20;
/** A longer line (no newline in sight) is cut there: a task must not make the init hold gigabytes. */
const MAX_LINE = 64 * 1024;
/** How long the output of a task whose main process exited is still read (left-behind processes may hold the pipes). */
const OUTPUT_GRACE_MS = 500;
/** setTimeout's ceiling (about 24.8 days): a longer timeout is no timeout. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Execa = (typeof import('execa'))['execa'];

let loading: Promise<TaskRunner> | undefined;

/**
 * Import execa (once) and resolve with the runner. Call it before the privilege drop; it
 * rejects when execa cannot be read (and the next call tries again).
 */
export function loadTaskRunner(): Promise<TaskRunner> {
  loading ??= import('execa').then(
    (m) => makeTaskRunner(m.execa),
    (err: unknown) => {
      loading = undefined;
      throw err;
    },
  );
  return loading;
}

/** The runner over a given execa (the real one from loadTaskRunner). */
export function makeTaskRunner(execa: Execa): TaskRunner {
  return (task, ctx, signal) => runTask(execa, task, ctx, signal);
}

/** What a task is spawned with. */
interface TaskSpawn {
  file: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
  uid: number | undefined;
  gid: number | undefined;
  after: ReturnType<typeof rlimitPlan>['after'];
}

/** The command line, environment, directory and ids of a task (throws RM_PRIVILEGES for an unknown user or group). */
export function taskSpawn(task: TaskConfig, ctx: Pick<TaskRunContext, 'baseEnv' | 'cwd'>): TaskSpawn {
  const env: Record<string, string | undefined> = task.copy_env ? { ...ctx.baseEnv } : {};
  Object.assign(env, task.env);
  // what ringmaster hands its workers means nothing to a task
  for (const k of INHERITED_HANDOFF) delete env[k];
  env.RINGMASTER_TASK = task.name;
  const argv = task.shell ? ['/bin/sh', '-c', task.argv.join(' ')] : task.argv;
  let file = argv[0] as string;
  let args = argv.slice(1);
  const ids = userSwitch(resolveIds(task, `tasks.${task.name}`));
  if (ids.setpriv) {
    args = [...ids.setpriv, '--', file, ...args];
    file = SETPRIV as string;
  }
  const limits = rlimitPlan(task.rlimits);
  if (limits.shim.length > 0 && PRLIMIT) {
    args = [...limits.shim, '--', file, ...args];
    file = PRLIMIT;
  }
  const cwd = task.working_dir === undefined ? ctx.cwd : resolve(ctx.cwd, task.working_dir);
  return { file, args, env, cwd, uid: ids.uid, gid: ids.gid, after: limits.after };
}

/** The last TAIL_LINES lines of both streams, interleaved as they came. */
class Tail {
  readonly lines: string[] = [];
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
  }
}

/** How a task's line is written to the init's stdout/stderr. */
function formatTaskLine(task: TaskConfig, pid: number | undefined, stream: 'stdout' | 'stderr', line: string): string | undefined {
  switch (task.output) {
    case 'json':
      return `${JSON.stringify({ time: new Date().toISOString(), task: task.name, pid, stream, line })}\n`;
    case 'prefix':
      return `${task.name} | ${line}\n`;
    case 'inherit':
      return `${line}\n`;
    default:
      return undefined;
  }
}

/** Split `readable` into lines: each goes to `onLine`; a last line without a newline too, at the end. */
function readLines(readable: Readable | null | undefined, onLine: (line: string) => void): void {
  if (!readable) return;
  let rest = '';
  readable.setEncoding('utf8');
  readable.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) onLine(l);
    if (rest.length > MAX_LINE) {
      onLine(rest);
      rest = '';
    }
  });
  readable.on('end', () => {
    if (rest !== '') onLine(rest);
    rest = '';
  });
  readable.on('error', () => {});
}

/** 128 + the signal's number, as command mode reports a death by signal. */
function signalStatus(signal: string | undefined): number {
  const n = signal === undefined ? undefined : signalNumber(signal);
  return n === undefined ? 1 : 128 + n;
}

function ms(seconds: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, Math.round(seconds * 1000)));
}

async function runTask(execa: Execa, task: TaskConfig, ctx: TaskRunContext, signal?: AbortSignal): Promise<TaskRunResult> {
  const t0 = performance.now();
  const took = (): number => performance.now() - t0;
  const tail = new Tail();
  let spawn: TaskSpawn;
  try {
    spawn = taskSpawn(task, ctx);
  } catch (err) {
    return { kind: 'spawn-failed', status: 126, durationMs: took(), tail: [], message: (err as Error).message };
  }
  if (!existsSync(spawn.cwd)) {
    return { kind: 'spawn-failed', status: 127, durationMs: took(), tail: [], message: `working_dir "${spawn.cwd}" does not exist (ENOENT)` };
  }
  if (signal?.aborted) return { kind: 'failure', status: 128 + 15, signal: 'SIGTERM', durationMs: 0, tail: [], message: 'not run: ringmaster is stopping' };
  const timeout = task.timeout > 0 ? ms(task.timeout) : 0;
  let sub: ReturnType<Execa>;
  try {
    sub = execa(spawn.file, spawn.args, {
      cwd: spawn.cwd,
      env: spawn.env,
      extendEnv: false,
      ...(spawn.uid === undefined ? {} : { uid: spawn.uid }),
      ...(spawn.gid === undefined ? {} : { gid: spawn.gid }),
      // a session of its own, as a worker's: a terminal's ^C reaches the init, which decides
      detached: true,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      // execa's cleanup would install signal-exit's handlers in PID 1: the init has its own
      cleanup: false,
      timeout,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: Math.max(1, ms(task.graceful_timeout)),
      ...(signal ? { cancelSignal: signal } : {}),
    });
  } catch (err) {
    return { kind: 'spawn-failed', status: 126, durationMs: took(), tail: [], message: (err as Error).message };
  }
  const pid = sub.pid;
  if (pid !== undefined) ctx.onSpawn?.(pid);
  for (const [name, resource, value] of spawn.after) {
    try {
      if (pid !== undefined) setRlimit(pid, resource, value);
    } catch (e) {
      tail.push(`ringmaster: could not set rlimit ${name}: ${(e as Error).message}`);
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const fd = stream === 'stdout' ? 1 : 2;
    readLines(sub[stream], (line) => {
      tail.push(line);
      ctx.onLine?.(stream, line);
      const text = formatTaskLine(task, pid, stream, line);
      if (text !== undefined) writeAll(fd, text);
    });
  }
  // What the task left behind (`server &`, a daemon) may hold its pipes open: the run ends
  // with its main process. After a timeout or a cancel, its process group is killed; after
  // an exit, what is still in the pipes is read for OUTPUT_GRACE_MS, then they are let go.
  let grace: NodeJS.Timeout | undefined;
  sub.on('exit', () => {
    if (pid !== undefined && (sub.killed || signal?.aborted)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // nothing left in its process group
      }
    }
    grace = setTimeout(() => {
      sub.stdout?.destroy();
      sub.stderr?.destroy();
    }, OUTPUT_GRACE_MS);
  });
  const r = await sub;
  clearTimeout(grace);
  if (pid !== undefined) ctx.onExit?.(pid);
  const base = { durationMs: took(), tail: tail.lines };
  const sig = r.signal;
  if (r.timedOut) {
    const how = sig === 'SIGKILL' ? `SIGTERM, then SIGKILL ${task.graceful_timeout}s later` : (sig ?? 'SIGTERM');
    return { ...base, kind: 'timeout', status: signalStatus(sig ?? 'SIGTERM'), signal: sig, message: `ran past its timeout of ${task.timeout}s and was stopped with ${how}` };
  }
  if (r.isCanceled) {
    return { ...base, kind: 'failure', status: signalStatus(sig ?? 'SIGTERM'), signal: sig, message: 'stopped: ringmaster is stopping' };
  }
  if (r.exitCode !== undefined) return { ...base, kind: r.exitCode === 0 ? 'success' : 'failure', status: r.exitCode };
  if (sig !== undefined) return { ...base, kind: 'failure', status: signalStatus(sig), signal: sig };
  const code = (r as { code?: string }).code;
  const status = code === 'ENOENT' ? 127 : 126;
  const what = code === 'ENOENT' ? 'command not found' : code === 'EACCES' ? 'permission denied (not executable?)' : 'cannot be executed';
  return { ...base, kind: 'spawn-failed', status, message: `${spawn.file}: ${what}${code ? ` (${code})` : ''}` };
}
