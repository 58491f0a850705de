/**
 * One managed process: spawned through libuv (so Node reports its exit), registered
 * with the reaper so its status is never stolen, stopped gracefully or destroyed.
 *
 *   idle --start()--> running --stop()--> stopping --exit--> exited
 *     |                  |                    |
 *     |                  +-------exit---------+------------> exited
 *     +--spawn error (ENOENT, EACCES...)--------------------> exited
 *
 * stop() sends the stop signal, then SIGKILL to the process group after the timeout;
 * destroy() sends SIGKILL at once. Both are idempotent and resolve on the exit. Once it has
 * exited, leftovers() stops what it left in its process group (see leftovers.ts).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { signalNumber } from '../sys/signals.js';
import { stopLeftovers, type GroupSys, type Leftovers } from './leftovers.js';
import { exitCodeFor } from '../errors/codes.js';
import { spawnFailureCode } from '../errors/spawn.js';

export type ExitOutcome =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: string; number: number }
  | { kind: 'spawn-failed'; code: string; message: string };

/**
 * Run `argv` with LISTEN_PID set to its own pid, which is known only after the fork: a
 * shell sets it and execs the command, keeping the pid. `argv0` is the name the shell runs as.
 */
export function withListenPid(argv: readonly string[], argv0 = 'ringmaster-exec'): string[] {
  return ['/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', argv0, ...argv];
}

/** The exit code that stands for an outcome: its code, 128+signal, 127/126 when it could not run. */
export function exitCodeOf(outcome: ExitOutcome, remap: ReadonlySet<number> = new Set()): number {
  let code: number;
  switch (outcome.kind) {
    case 'exited':
      code = outcome.code;
      break;
    case 'signaled':
      code = (128 + outcome.number) % 256;
      break;
    case 'spawn-failed':
      // the shell's convention, as tini: not found, or found but not executable
      code = exitCodeFor(spawnFailureCode(outcome.code));
      break;
    default:
      return assertNever(outcome);
  }
  return remap.has(code) ? 0 : code;
}

export type ProcessState =
  | { kind: 'idle' }
  | { kind: 'running'; pid: number; startedAt: number }
  | { kind: 'stopping'; pid: number; startedAt: number; signal: string }
  | { kind: 'exited'; outcome: ExitOutcome; pid: number | undefined };

export interface SpawnSpec {
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdin, stdout, stderr, then the fds the child gets as 3, 4, ... */
  stdio: StdioOptions;
  uid?: number;
  gid?: number;
  /**
   * Run in a session and process group of its own, so that signals to the group reach
   * everything it starts and a terminal's signals do not reach it behind our back.
   * @default true
   */
  ownGroup?: boolean;
  /**
   * Spawn detached (setsid in libuv). Defaults to ownGroup; false when the command makes
   * its own session (`setsid --ctty` to take over a terminal).
   */
  detached?: boolean;
}

/** What a managed process needs from the init: the reaper's ownership register, a clock. */
export interface ProcessHost {
  own(pid: number): void;
  disown(pid: number): void;
  now(): number;
  spawn?: typeof spawn;
  /** kill(2) for the leftovers of the process group. @default process.kill */
  group?: GroupSys;
}

export type ExitListener = (outcome: ExitOutcome, proc: ManagedProcess) => void;

function sendSignal(pid: number, signal: NodeJS.Signals | number, group: boolean): boolean {
  try {
    process.kill(group ? -pid : pid, signal);
    return true;
  } catch {
    // ESRCH: gone; or, for a group, not made yet (a command started through foreground-exec
    // leads its own group only once that program has run): then the process alone.
    if (!group) return false;
    return sendSignal(pid, signal, false);
  }
}

export class ManagedProcess {
  #state: ProcessState = { kind: 'idle' };
  #child: ChildProcess | undefined;
  readonly #host: ProcessHost;
  readonly #spec: SpawnSpec;
  readonly #exitWaiters: Array<(o: ExitOutcome) => void> = [];
  readonly #onExit: ExitListener | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  /** the signal stop() sent to the whole process group, if it did */
  #groupSignal: string | undefined;
  #leftovers: Leftovers | undefined;

  constructor(spec: SpawnSpec, host: ProcessHost, onExit?: ExitListener) {
    this.#spec = spec;
    this.#host = host;
    this.#onExit = onExit;
  }

  get state(): ProcessState {
    return this.#state;
  }

  get pid(): number | undefined {
    const s = this.#state;
    switch (s.kind) {
      case 'idle':
        return undefined;
      case 'running':
      case 'stopping':
      case 'exited':
        return s.pid;
      default:
        return assertNever(s);
    }
  }

  /** The ChildProcess, for its stdio streams when they are pipes. */
  get child(): ChildProcess | undefined {
    return this.#child;
  }

  get ownGroup(): boolean {
    return this.#spec.ownGroup ?? true;
  }

  /** Spawn. Synchronous: when it returns the process exists (or has failed to). */
  start(): void {
    if (this.#state.kind !== 'idle') throw new Error(`ManagedProcess.start() in state ${this.#state.kind}`);
    const spawnFn = this.#host.spawn ?? spawn;
    const s = this.#spec;
    let child: ChildProcess;
    try {
      child = spawnFn(s.file, [...s.args], {
        env: s.env,
        cwd: s.cwd,
        stdio: s.stdio,
        detached: s.detached ?? this.ownGroup,
        uid: s.uid,
        gid: s.gid,
      });
    } catch (err) {
      // Node throws at once for some failures (ENOTDIR, E2BIG, a NUL byte in an argument)
      // and reports others (ENOENT, EACCES, EMFILE) through 'error' on a later tick: both
      // become the same outcome, delivered the same way, after start() has returned.
      const e = err as NodeJS.ErrnoException;
      setImmediate(() => {
        if (this.#state.kind === 'idle') this.#finish({ kind: 'spawn-failed', code: e.code ?? 'UNKNOWN', message: e.message }, undefined);
      });
      return;
    }
    this.#child = child;
    const pid = child.pid;
    if (pid !== undefined) {
      this.#host.own(pid);
      this.#state = { kind: 'running', pid, startedAt: this.#host.now() };
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (this.#state.kind === 'exited') return;
      // 'error' without a pid is a failed spawn; with one it is a failed kill(), not an exit.
      if (pid !== undefined) return;
      this.#finish({ kind: 'spawn-failed', code: err.code ?? 'UNKNOWN', message: err.message }, undefined);
    });
    child.once('exit', (code, signal) => {
      if (pid !== undefined) this.#host.disown(pid);
      const outcome: ExitOutcome =
        signal !== null
          ? { kind: 'signaled', signal, number: signalNumber(signal) ?? 0 }
          : { kind: 'exited', code: code ?? 0 };
      this.#finish(outcome, pid);
    });
  }

  /** Send a signal to the process, or to its whole process group. False if it is gone. */
  signal(signal: NodeJS.Signals | number, group = false): boolean {
    const s = this.#state;
    if (s.kind !== 'running' && s.kind !== 'stopping') return false;
    return sendSignal(s.pid, signal, group && this.ownGroup);
  }

  /**
   * Graceful stop: `signal`, then SIGKILL to the process group after `timeoutMs`.
   * Resolves with the exit outcome. Idempotent: a second call waits for the same exit.
   */
  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000, group = false): Promise<ExitOutcome> {
    const s = this.#state;
    switch (s.kind) {
      case 'idle':
        return Promise.resolve({ kind: 'exited', code: 0 });
      case 'exited':
        return Promise.resolve(s.outcome);
      case 'stopping':
        return this.waitExit();
      case 'running':
        this.#state = { kind: 'stopping', pid: s.pid, startedAt: s.startedAt, signal };
        sendSignal(s.pid, signal, group && this.ownGroup);
        if (group && this.ownGroup) this.#groupSignal = signal;
        this.#killTimer = setTimeout(() => this.destroy(), Math.max(0, timeoutMs));
        return this.waitExit();
      default:
        return assertNever(s);
    }
  }

  /** SIGKILL the process group now (what is left of it, after the exit). Idempotent. */
  destroy(): Promise<ExitOutcome> {
    const s = this.#state;
    if (s.kind === 'running' || s.kind === 'stopping') {
      sendSignal(s.pid, 'SIGKILL', this.ownGroup);
    }
    this.#leftovers?.kill();
    return s.kind === 'idle' ? Promise.resolve({ kind: 'exited', code: 0 }) : this.waitExit();
  }

  /**
   * After the exit, stop what is left of the process group: `signal` (unless stop() sent it
   * to the group already), SIGKILL after `timeoutMs`. The same cleanup for every call;
   * undefined before the exit or when the process has no group of its own.
   */
  leftovers(signal: NodeJS.Signals, timeoutMs: number): Leftovers | undefined {
    const s = this.#state;
    if (s.kind !== 'exited' || s.pid === undefined || !this.ownGroup) return undefined;
    this.#leftovers ??= stopLeftovers(s.pid, { signal, alreadySent: this.#groupSignal === signal, timeoutMs, sys: this.#host.group });
    return this.#leftovers;
  }

  waitExit(): Promise<ExitOutcome> {
    const s = this.#state;
    if (s.kind === 'exited') return Promise.resolve(s.outcome);
    return new Promise((resolve) => this.#exitWaiters.push(resolve));
  }

  #finish(outcome: ExitOutcome, pid: number | undefined): void {
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#killTimer = undefined;
    this.#state = { kind: 'exited', outcome, pid };
    for (const w of this.#exitWaiters.splice(0)) w(outcome);
    this.#onExit?.(outcome, this);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unexpected state: ${JSON.stringify(x)}`);
}
