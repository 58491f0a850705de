/**
 * What the supervisor core says happened, as typed data. The core emits these on an
 * EventBus; the log lines (log/render-events.ts), `ringmaster ctl events` and the tests are
 * listeners. The core never formats a line for a person itself for anything listed here.
 *
 * Every event has `type`, `seq` (1, 2, ... per init) and `time` (ms since the epoch), set
 * by the bus. Field names are part of the `ctl events --json` API: add fields, never
 * rename or remove one.
 */
import type { ExitOutcome } from './process.js';
import type { ExitReason, WatcherPhase } from './watcher-status.js';
import type { TaskRunResult } from './task-run.js';

/** Why a worker's exit happened, from the watcher's point of view. */
export type ExitCause =
  /** stopped on purpose: scale down, stop, a rollout retiring it, shutdown */
  | 'stopped'
  /** a rollout's new worker, on probation: the rollout sees it and keeps the old one */
  | 'rollout'
  /** could not be spawned for want of a system resource: retried, not counted */
  | 'shortage'
  /** exited while the watcher wanted it running: counted, respawned with backoff */
  | 'unexpected';

/**
 * Why a worker was started again, as the `reason` label of ringmaster_process_restarts_total:
 * `exit`: respawned after an exit the watcher did not ask for (a crash, max_age, watchdog);
 * `memory`: replaced for max_memory (worker.recycle).
 */
export type RestartReason = 'exit' | 'memory';

/** How a rolling restart ended (`Watcher.rollingRestart`, `Watcher.reconfigure`). */
export type RolloutResult =
  /** every old worker was replaced by a new ready one */
  | { kind: 'done'; replaced: number }
  /** a new worker did not become ready (or exited): it was stopped, the old workers left keep serving */
  | { kind: 'failed'; wid: number; pid: number | undefined; message: string; replaced: number; kept: number }
  /** the watcher stopped (or another rollout began) while this one was under way */
  | { kind: 'aborted'; message: string; replaced: number };

export type RingmasterEvent = EventInput & { seq: number; time: number };

/** An event as the core emits it (the bus adds `seq` and `time`). */
export type EventInput =
  | { type: 'worker.spawned'; watcher: string; wid: number; pid: number }
  | { type: 'worker.ready'; watcher: string; wid: number; pid: number | undefined }
  /** `stopping`: it sent STOPPING=1; `timeout`: its readiness check gave up (`check` names it) */
  | { type: 'worker.unready'; watcher: string; wid: number; pid: number | undefined; why: 'stopping' | 'timeout'; check?: string }
  | {
      type: 'worker.exited';
      watcher: string;
      wid: number;
      pid: number | undefined;
      reason: ExitReason;
      outcome: ExitOutcome;
      cause: ExitCause;
      /** for a spawn that failed: what went wrong, in words (a missing working_dir is named) */
      message?: string;
      /** for a spawn that failed: the command */
      command?: string;
    }
  | { type: 'worker.respawn_scheduled'; watcher: string; wid: number; delaySeconds: number }
  /** a scheduled respawn is due and the watcher still wants the wid: it is spawned now (counted as a restart) */
  | { type: 'worker.respawning'; watcher: string; wid: number }
  | { type: 'watcher.phase'; watcher: string; phase: WatcherPhase; from: WatcherPhase }
  | { type: 'watcher.scaled'; watcher: string; numprocesses: number }
  | { type: 'watcher.fatal'; watcher: string; reason: string }
  | { type: 'rollout.started'; watcher: string; workers: number; maxSurge: number }
  | { type: 'rollout.step'; watcher: string; replaced: number; total: number }
  | { type: 'rollout.result'; watcher: string; result: RolloutResult }
  /** `changed` false: the config on disk is the one running */
  | { type: 'reload.result'; ok: true; changed: boolean; summary: string; keptOld: string[] }
  | { type: 'reload.result'; ok: false; error: string; code: string | undefined }
  | { type: 'signal.forwarded'; signal: string; workers: number }
  /** a worker exited with one of its watcher's success_exit_codes under `respawn: on-failure` (or `never`): its slot is completed, not refilled */
  | { type: 'worker.completed'; watcher: string; wid: number; pid: number | undefined; code: number }
  /** a watcher (or task) is held back by its depends_on: `on` lists what it still waits for, [] when it may go */
  | { type: 'deps.waiting'; name: string; kind: 'watcher' | 'task'; on: string[] }
  /** a run of a task began: `attempt` 1, 2... (retries), `scheduled` for a run of a schedule */
  | { type: 'task.started'; task: string; attempt: number; pid: number | undefined; scheduled: boolean }
  /** a run of a task ended; `retryIn` (seconds) when it failed and another attempt follows */
  | { type: 'task.finished'; task: string; attempt: number; scheduled: boolean; result: TaskRunResult; retryIn?: number }
  /** a scheduled run was due while the previous run still ran: skipped, counted */
  | { type: 'task.skipped'; task: string; reason: 'overlap' }
  /**
   * a worker stayed above max_memory (`limitBytes`) for two checks in a row (`rssBytes`: RSS
   * with its descendants at the second): its replacement (`replacementPid`, same wid) is
   * ready and it is being stopped gracefully. Counted as a restart with reason `memory`.
   */
  | { type: 'worker.recycle'; watcher: string; wid: number; pid: number | undefined; reason: RestartReason; rssBytes: number; limitBytes: number; replacementPid: number | undefined }
  /** an orphan (not a worker ringmaster started) was reaped: `status` as wait(2) encodes it; `code` or `signal` decoded */
  | { type: 'orphan.reaped'; pid: number; status: number; code?: number; signal?: string };

export type EventType = EventInput['type'];

export type EventListener = (event: RingmasterEvent) => void;

/** Where the core's events go. A listener that throws is dropped from that event only: PID 1 goes on. */
export class EventBus {
  readonly #listeners = new Set<EventListener>();
  readonly #now: () => number;
  #seq = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  emit(event: EventInput): void {
    const e = { ...event, seq: ++this.#seq, time: this.#now() } as RingmasterEvent;
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // a listener's bug (or a closed ctl stream) must not stop the supervisor
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listeners(): number {
    return this.#listeners.size;
  }
}
