/**
 * The edges the supervisor core runs against, as narrow interfaces: timers, the spawner of
 * a worker process, and the few libc calls a worker needs around its spawn. The real ones
 * are the defaults; a unit test passes fakes (a clock it advances, processes it makes exit
 * or get ready) and drives a watcher without a kernel.
 *
 * Every timer of the core hangs off an AbortSignal (`later`, `sleep`): aborting the
 * controller of a watcher (its stop()/destroy()), of a rollout or of a worker (its exit)
 * cancels every timer and sleep it started, with no handle tracked by hand.
 */
import type { ChildProcess } from 'node:child_process';
import { hardRlimit, setRlimit } from '../sys/libc.js';
import { closeSockets } from '../sys/socket.js';
import type { Leftovers } from './leftovers.js';
import { NotifyChannel, type NotifyDrain } from './notify.js';
import { ManagedProcess, type ExitListener, type ProcessHost, type ProcessState, type SpawnSpec, type ExitOutcome } from './process.js';

/** setTimeout/clearTimeout, as the core uses them. */
export interface Timers {
  /** `unref`: the timer does not keep the event loop alive */
  setTimeout(fn: () => void, ms: number, unref?: boolean): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout(fn, ms, unref) {
    const t = setTimeout(fn, ms);
    if (unref) t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Run `fn` after `ms` unless `signal` is aborted first. Returns a cancel function. */
export function later(timers: Timers, ms: number, signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) return () => {};
  const onAbort = (): void => timers.clearTimeout(handle);
  const handle = timers.setTimeout(() => {
    signal.removeEventListener('abort', onAbort);
    fn();
  }, ms);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    timers.clearTimeout(handle);
  };
}

/** Resolves true after `ms`, or false as soon as `signal` is aborted. */
export function sleep(timers: Timers, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = (): void => resolve(false);
    later(timers, ms, signal, () => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A controller aborted with `parent` too; `dispose()` forgets the link once it is no longer needed. */
export function childController(parent: AbortSignal): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (parent.aborted) controller.abort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** What the watcher uses of a worker's process (ManagedProcess, or a fake). */
export interface WorkerProcess {
  readonly state: ProcessState;
  readonly pid: number | undefined;
  /** its stdout/stderr when they are pipes */
  readonly child: Pick<ChildProcess, 'stdout' | 'stderr'> | undefined;
  start(): void;
  signal(signal: NodeJS.Signals | number, group?: boolean): boolean;
  stop(signal: NodeJS.Signals, timeoutMs: number, group: boolean): Promise<ExitOutcome>;
  destroy(): Promise<ExitOutcome>;
  leftovers(signal: NodeJS.Signals, timeoutMs: number): Leftovers | undefined;
}

/** Makes (does not start) a worker's process; `onExit` is called once, with its outcome. */
export type Spawner = (spec: SpawnSpec, host: ProcessHost, onExit: ExitListener) => WorkerProcess;

export const realSpawner: Spawner = (spec, host, onExit) => new ManagedProcess(spec, host, onExit);

/** The place of a worker that could not even be prepared: never started, so never running. */
export const unstarted: WorkerProcess = {
  state: { kind: 'idle' },
  pid: undefined,
  child: undefined,
  start() {},
  signal: () => false,
  stop: () => Promise.resolve({ kind: 'exited', code: 0 }),
  destroy: () => Promise.resolve({ kind: 'exited', code: 0 }),
  leftovers: () => undefined,
};

/** A worker's notify socket, as the watcher drains it (NotifyChannel, or a fake). */
export interface NotifyEndpoint {
  readonly path: string;
  /** the stream socket beside it, for Node workers (RINGMASTER_NOTIFY_STREAM) */
  readonly streamPath?: string;
  /** the worker's pid, once spawned */
  attach?(pid: number): void;
  drain(workerPid: number | undefined, now: number): NotifyDrain;
  close(): void;
}

/**
 * Tells a worker's exit on SIGKILL by the kernel's OOM killer from any other SIGKILL (the
 * real one reads the OOM kill count of ringmaster's memory cgroup: sys/oom.ts).
 */
export interface OomCheck {
  /** a worker just exited on SIGKILL: was it the OOM killer? Asked once per such exit. */
  killedByOom(): boolean;
}

/** No cgroup to read: a SIGKILL is `signaled`. */
export const noOomCheck: OomCheck = { killedByOom: () => false };

/** The libc calls around a worker's spawn. */
export interface WorkerSys {
  /** our own hard limit of `resource` (getrlimit), null for infinity */
  hardRlimit(resource: number): bigint | null;
  /** prlimit(2) on the spawned worker */
  setRlimit(pid: number, resource: number, value: number | null): void;
  /** close the init's copies of fds handed to a worker */
  closeSockets(fds: Iterable<number>): void;
  /** a new notify socket for a worker, named after `label` */
  openNotify(label: string): NotifyEndpoint;
}

export const realWorkerSys: WorkerSys = {
  hardRlimit: (resource) => hardRlimit(0, resource),
  setRlimit,
  closeSockets,
  openNotify: (label) => NotifyChannel.create(label),
};
