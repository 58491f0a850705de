/**
 * The one command ringmaster runs in the foreground: the child of single-command mode
 * (`ringmaster -- CMD`, command-init.ts) and the main command of config mode
 * (`ringmaster -c FILE -- CMD`, main-command.ts). How it is started (the terminal hand-off,
 * the exec shim for the inherited signal state, fds at their numbers), how signals reach it
 * (the child, or its process group with -g), and how its end is logged: the same in both.
 *
 *   idle --start()--> started --exit--> exited(outcome)
 */
import type { StdioOptions } from 'node:child_process';
import type { SignalState } from '../sys/libc.js';
import { ManagedProcess, type ExitOutcome } from '../supervisor/process.js';
import type { Logger } from '../log/logger.js';
import type { Reaper } from './reaper.js';
import { throughShim, type ExecShim } from './exec-shim.js';
import { signalsToSet } from './inherited-signals.js';
import { spawnFailureCode } from '../errors/spawn.js';

/**
 * How the child gets the terminal on stdin, so that its process group is in the foreground
 * and an interactive shell gets job control:
 * - `session`: we lead the session (docker run -it, kubectl run -it). We give the terminal
 *   up (TIOCNOTTY) and start the command through `setsid --ctty`: it leads a session of its
 *   own with the terminal as its controlling terminal.
 * - `foreground`: the session is someone else's (a developer's shell). The child stays in
 *   it, in a process group of its own made the terminal's foreground (as tini does), by the
 *   foreground-exec program before it execs the command.
 */
export type TtyHandoff =
  | { kind: 'session'; release(): void; setsid: string }
  | { kind: 'foreground' };

export interface ChildOptions {
  command: readonly string[];
  /** signals go to the child's whole process group (-g) */
  processGroup: boolean;
  /** [fd in the child, fd in the init]: inherited fds at their own numbers, sockets from 3 */
  fdMap: ReadonlyArray<readonly [number, number]>;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Give the child our terminal; given only when stdin is one. See TtyHandoff. */
  ttyHandoff?: TtyHandoff;
  /** The signal mask and ignored signals the child starts with (what ringmaster inherited). */
  signals: SignalState;
  /** Runs the child when it needs the terminal's foreground or `signals` set. */
  shim: ExecShim;
}

/** Build a stdio array that places each init fd at its number in the child. */
export function stdioWithFds(fdMap: ReadonlyArray<readonly [number, number]>): StdioOptions {
  const stdio: Array<'inherit' | 'ignore' | number> = ['inherit', 'inherit', 'inherit'];
  for (const [childFd, fd] of fdMap) {
    while (stdio.length < childFd) stdio.push('ignore');
    stdio[childFd] = fd;
  }
  return stdio;
}

/**
 * How the child is started: through the exec shim when it needs the terminal's foreground
 * or a signal state a plain spawn does not give (`signals`, see signalsToSet), through
 * setsid when it gets our session's terminal; else as itself.
 */
function launcher(
  opts: ChildOptions,
  signals: SignalState | undefined,
  file: string,
  args: readonly string[],
): { file: string; args: string[]; detached: boolean; shim: boolean } {
  const tty = opts.ttyHandoff;
  const foreground = tty?.kind === 'foreground';
  const shim = foreground || signals !== undefined;
  let cmd = { file, args: [...args] };
  if (shim) {
    const fds = [0, 1, 2, ...opts.fdMap.map(([childFd]) => childFd)];
    cmd = throughShim(opts.shim, { fds, foreground, signals }, file, args);
  }
  if (tty?.kind === 'session') return { file: tty.setsid, args: ['--ctty', '--', cmd.file, ...cmd.args], detached: false, shim };
  return { ...cmd, detached: !tty, shim };
}

export class CommandChild {
  readonly #opts: ChildOptions;
  readonly #log: Logger;
  readonly #reaper: Pick<Reaper, 'own' | 'disown'>;
  #proc: ManagedProcess | undefined;
  #dropHandoffUntil = 0;
  readonly #dropped = new Set<NodeJS.Signals>();

  constructor(log: Logger, reaper: Pick<Reaper, 'own' | 'disown'>, options: ChildOptions) {
    this.#log = log;
    this.#reaper = reaper;
    this.#opts = options;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Start it. Call once the init's signal listeners are in place: what a plain spawn gives the child depends on them (signalsToSet). */
  start(): void {
    if (this.#proc) return;
    const [file, ...args] = this.#opts.command;
    if (file === undefined) throw new Error('CommandChild.start() without a command');
    const tty = this.#opts.ttyHandoff;
    const { shim, ...launch } = launcher(this.#opts, signalsToSet(this.#opts.signals), file, args);
    const child = new ManagedProcess(
      { ...launch, env: this.#opts.env, cwd: this.#opts.cwd, stdio: stdioWithFds(this.#opts.fdMap), ownGroup: true },
      { own: (p) => this.#reaper.own(p), disown: (p) => this.#reaper.disown(p), now: Date.now },
    );
    this.#proc = child;
    if (tty?.kind === 'session') {
      // Our listeners are in place: the SIGHUP and SIGCONT the kernel sends to the foreground
      // group when a session leader gives up its terminal are ours, not the child's.
      try {
        tty.release();
        this.#dropHandoffUntil = Date.now() + 250;
      } catch (err) {
        this.#log.warn('could not hand the terminal to the child', { error: (err as Error).message });
      }
    }
    child.start();
    if (child.pid !== undefined) {
      this.#log.debug('child started', { pid: child.pid, command: file, exec_shim: shim });
      // Run the forwarding path once with signal 0 (delivers nothing): its first real use,
      // a SIGTERM from the orchestrator, then runs warm code instead of cold.
      child.signal(0, this.#opts.processGroup);
    }
  }

  /** Resolves with its outcome once it has exited (a spawn that failed is logged as command mode says it). */
  async waitExit(): Promise<ExitOutcome> {
    const child = this.#proc;
    if (!child) throw new Error('CommandChild.waitExit() before start()');
    const outcome = await child.waitExit();
    if (outcome.kind === 'spawn-failed') {
      const code = spawnFailureCode(outcome.code);
      const file = this.#opts.command[0] ?? '';
      this.#log.error(`${code === 'RM_SPAWN_NOT_FOUND' ? 'command not found' : 'cannot execute'}: ${file}`, { code, errno: outcome.code });
    } else {
      this.#log.debug('child exited', outcome.kind === 'exited' ? { code: outcome.code } : { signal: outcome.signal });
    }
    return outcome;
  }

  /**
   * The SIGHUP and SIGCONT the terminal hand-off makes (once each, just after start()):
   * true when `signal` is one of them, which the caller then drops.
   */
  dropHandoff(signal: NodeJS.Signals): boolean {
    if ((signal !== 'SIGHUP' && signal !== 'SIGCONT') || Date.now() >= this.#dropHandoffUntil || this.#dropped.has(signal)) return false;
    this.#dropped.add(signal);
    this.#log.debug('dropped the terminal hand-off signal', { signal });
    return true;
  }

  /** Pass `signal` on (to its group with -g). Returns whether it was delivered. */
  forward(signal: NodeJS.Signals): boolean {
    const ok = this.#proc?.signal(signal, this.#opts.processGroup) ?? false;
    if (this.#log.enabled('debug')) this.#log.debug('forwarded signal', { signal, to: this.#proc?.pid, group: this.#opts.processGroup, delivered: ok });
    return ok;
  }
}
