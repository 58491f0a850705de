/**
 * What a watcher reports about itself (status, exit reasons), and how its config's user
 * and group resolve: the watcher's plain data, apart from its state machine.
 */
import type { WatcherConfig } from '../config/types.js';
import { RingmasterError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { lookupIds } from '../sys/users.js';
import { assertNever, type ExitOutcome } from './process.js';
import type { OomCheck, Spawner, Timers, WorkerSys } from './edges.js';
import type { EventBus, RestartReason } from './events.js';
import type { MemoryReader } from './memory-watch.js';
import type { ShortageStatus } from './shortage.js';
import type { SocketSet } from './socket-set.js';
import type { Watcher } from './watcher.js';
import type { Worker } from './worker.js';
import type { CopySignals } from './worker-spec.js';

/** `waiting`: held back by its depends_on (not started yet); `completed`: every slot completed (respawn: on-failure or never, success exit codes). */
export type WatcherPhase = 'stopped' | 'waiting' | 'running' | 'stopping' | 'completed' | 'fatal';

/** Why a worker exited, as counted in status and metrics. `oom`: SIGKILL by the kernel's OOM killer (instead of `signaled`). */
export type ExitReason = 'exited' | 'failed' | 'signaled' | 'oom' | 'spawn_failed' | 'stopped';

export interface WorkerStatus {
  wid: number;
  pid: number | undefined;
  startedAt: number;
  state: string;
  /** passed its readiness check (READY=1, HTTP, delay, or at once) and not STOPPING=1 */
  ready: boolean;
  /** its readiness check timed out */
  readyFailed: boolean;
  /** last STATUS= it sent */
  statusText: string | undefined;
  /** MAINPID= from the worker (a process it says is its main one); ringmaster still watches the pid it started */
  mainPid: number | undefined;
}

export interface WatcherStatus {
  name: string;
  phase: WatcherPhase;
  desired: number;
  /** where `desired` came from when `numprocesses: auto` set it (`auto: cgroup v1 cpu limit 1.5 CPUs`) */
  desiredSource?: string;
  running: number;
  ready: number;
  restarts: number;
  /** `restarts` by reason (exit: respawned after an exit; memory: replaced for max_memory) */
  restartsByReason?: Record<RestartReason, number>;
  /** the last restart: which wid, why, when (ms since epoch); for `memory` the RSS seen and the limit */
  lastRestart?: { wid: number; reason: RestartReason; at: number; rssBytes?: number; limitBytes?: number } | undefined;
  /** max_memory in bytes when set, and where a percentage came from */
  maxMemory?: { bytes: number; source?: string };
  exits: Record<ExitReason, number>;
  failuresInARow: number;
  /** spawns and setups that failed for want of a resource (EMFILE, ENFILE, EAGAIN, ENOMEM) and were retried */
  resourceRetries?: number;
  /** while workers cannot be started for want of a resource: the last error, since when (ms since epoch), how many tries */
  shortage?: ShortageStatus | undefined;
  /** notify datagrams dropped: the sender was not one of the workers or their descendants */
  notifyRejected: number;
  lastExit: { wid: number; outcome: ExitOutcome; at: number; reason: ExitReason } | undefined;
  /** phase `waiting`: the names in its depends_on it still waits for (the arbiter's start graph sets it) */
  waitingFor?: string[];
  fatalReason: string | undefined;
  /** the last rolling restart: in progress, done, or failed (and why) */
  rollout: { state: 'rolling' | 'done' | 'failed'; message: string; at: number } | undefined;
  /**
   * Slots (wids within `desired`) whose worker exited with a success code under
   * `respawn: on-failure` or `never`: not refilled, not missing for /readyz. Absent: none.
   */
  completed?: CompletedSlot[];
  workers: WorkerStatus[];
}

/**
 * The workers a watcher needs ready: its desired count less its completed slots (a slot
 * completed under `respawn: on-failure` or `never` is not missing). /readyz, a main
 * command's sidecars and a `depends_on` on a watcher all count with it.
 */
export function readyNeeded(w: Pick<WatcherStatus, 'desired' | 'completed'>): number {
  return w.desired - (w.completed?.length ?? 0);
}

/** A completed slot: its wid, the exit code, when (ms since epoch). */
export interface CompletedSlot {
  wid: number;
  code: number;
  at: number;
}

export interface WatcherHost {
  log: Logger;
  /** where the watcher says what happens (worker spawned, ready, exited, rollouts...) */
  events: EventBus;
  sockets: Pick<SocketSet, 'get' | 'fdForWorker'>;
  own(pid: number): void;
  disown(pid: number): void;
  now(): number;
  /** the init's environment, copied into workers when copy_env is on */
  baseEnv: NodeJS.ProcessEnv;
  /** working directory when the watcher sets none */
  cwd: string;
  /** how a worker of a watcher with copy_signals starts with ringmaster's inherited signals */
  copySignals?: CopySignals;
  /** a worker exited while the watcher wanted it running */
  onUnexpectedExit?(watcher: Watcher, wid: number, outcome: ExitOutcome): void;
  onFatal?(watcher: Watcher): void;
  /** a worker passed its readiness check */
  onReady?(watcher: Watcher, wid: number): void;
  random?: () => number;
  /** @default realTimers */
  timers?: Timers;
  /** makes the workers' processes. @default realSpawner (ManagedProcess) */
  spawner?: Spawner;
  /** the libc calls around a spawn. @default realWorkerSys */
  sys?: WorkerSys;
  /** names an exit on SIGKILL `oom` when the kernel's OOM killer did it. @default noOomCheck (never) */
  oom?: OomCheck;
  /** a worker's resident memory with its descendants, for max_memory. @default realMemoryReader (/proc statm) */
  memory?: MemoryReader;
}

/** The status of a watcher from its pool and its counters. */
export function statusOf(
  name: string,
  phase: WatcherPhase,
  desired: number,
  pool: readonly Worker[],
  counters: Omit<WatcherStatus, 'name' | 'phase' | 'desired' | 'running' | 'ready' | 'workers'>,
): WatcherStatus {
  const running = pool.filter((w) => w.proc.state.kind === 'running');
  return {
    name,
    phase,
    desired,
    running: running.length,
    ready: running.filter((w) => w.ready).length,
    ...counters,
    workers: [...pool]
      .sort((a, b) => a.wid - b.wid)
      .map((w) => ({
        wid: w.wid,
        pid: w.pid,
        startedAt: w.startedAt,
        state: w.proc.state.kind,
        ready: w.ready,
        readyFailed: w.readyFailed,
        statusText: w.statusText,
        mainPid: w.mainPid,
      })),
  };
}


/**
 * Why a worker that was not asked to stop exited; `oom` is asked only of an exit on SIGKILL.
 * An exit code in `success` (the watcher's success_exit_codes) is `exited`, any other `failed`.
 */
export function reasonOf(outcome: ExitOutcome, oom: OomCheck, success: readonly number[] = [0]): Exclude<ExitReason, 'stopped'> {
  switch (outcome.kind) {
    case 'exited':
      return success.includes(outcome.code) ? 'exited' : 'failed';
    case 'signaled':
      return outcome.signal === 'SIGKILL' && oom.killedByOom() ? 'oom' : 'signaled';
    case 'spawn-failed':
      return 'spawn_failed';
    default:
      return assertNever(outcome);
  }
}

export function describe(outcome: ExitOutcome): Record<string, string | number> {
  switch (outcome.kind) {
    case 'exited':
      return { code: outcome.code };
    case 'signaled':
      return { signal: outcome.signal };
    case 'spawn-failed':
      return { error: outcome.code };
    default:
      return assertNever(outcome);
  }
}

/** A watcher's uid and gid as numbers, and the passwd name of the uid when it has one. */
export interface WorkerIds {
  uid: number | undefined;
  gid: number | undefined;
  user: string | undefined;
}

/** A watcher's (or a task's) uid and gid resolved (the uid's own group unless gid is given); throws RM_PRIVILEGES for a name that names nobody, naming `section` (`tasks.migrate`). */
export function resolveIds(c: Pick<WatcherConfig, 'name' | 'uid' | 'gid'>, section = `watchers.${c.name}`): WorkerIds {
  const r = lookupIds(c.uid, c.gid);
  if (!r.ok) {
    throw r.unknown === 'user'
      ? new RingmasterError('RM_PRIVILEGES', `${section}.uid: unknown user "${c.uid}" (no such entry in /etc/passwd; use a numeric uid or create the user)`)
      : new RingmasterError('RM_PRIVILEGES', `${section}.gid: unknown group "${c.gid}" (no such entry in /etc/group; use a numeric gid)`);
  }
  return { uid: r.user?.uid, gid: r.gid, user: r.user?.name };
}
