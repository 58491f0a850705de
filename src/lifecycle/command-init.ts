/**
 * Single-command mode: `ringmaster [options] -- CMD ARGS...`, what `tini -- CMD` does,
 * plus a grace period and a wait for everything the command left behind.
 *
 *   running --SIGTERM/INT/QUIT--> stopping --grace over--> killing
 *      |                            |                        |
 *      +--child exits--> draining <-+------------------------+
 *                           |
 *                           +--no descendant left (or grace over, then SIGKILL)--> done(code)
 *
 * running:  every signal but SIGCHLD goes to the child (or its process group with -g).
 * stopping: same, and at the deadline everything left gets SIGKILL.
 * draining: the child has exited; its descendants get SIGTERM, then SIGKILL at the deadline.
 */
import type { StdioOptions } from 'node:child_process';
import type { SignalState } from '../sys/libc.js';
import { signalNumber } from '../sys/signals.js';
import { ManagedProcess, assertNever, exitCodeOf, type ExitOutcome } from '../supervisor/process.js';
import type { InitRuntime } from './runtime.js';
import { shutdownSignals } from './signal-policy.js';
import { throughShim, type ExecShim } from './exec-shim.js';
import { signalsToSet } from './inherited-signals.js';
import { spawnFailureCode } from '../errors/spawn.js';

export interface CommandOptions {
  command: readonly string[];
  processGroup: boolean;
  gracefulTimeoutMs: number;
  remapExit: ReadonlySet<number>;
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

/**
 * How the child is started: through the exec shim when it needs the terminal's foreground
 * or a signal state a plain spawn does not give (`signals`, see signalsToSet), through
 * setsid when it gets our session's terminal; else as itself.
 */
function launcher(
  opts: CommandOptions,
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

type State =
  | { kind: 'running' }
  | { kind: 'stopping'; deadline: number; signal: NodeJS.Signals }
  | { kind: 'killing' }
  | { kind: 'draining'; outcome: ExitOutcome };

const SHUTDOWN_SIGNALS = shutdownSignals('command');

export { exitCodeOf };

/** Build a stdio array that places each init fd at its number in the child. */
export function stdioWithFds(fdMap: ReadonlyArray<readonly [number, number]>): StdioOptions {
  const stdio: Array<'inherit' | 'ignore' | number> = ['inherit', 'inherit', 'inherit'];
  for (const [childFd, fd] of fdMap) {
    while (stdio.length < childFd) stdio.push('ignore');
    stdio[childFd] = fd;
  }
  return stdio;
}

export class CommandInit {
  #state: State = { kind: 'running' };
  readonly #rt: InitRuntime;
  readonly #opts: CommandOptions;
  #child: ManagedProcess | undefined;
  #stopTimer: NodeJS.Timeout | undefined;

  constructor(runtime: InitRuntime, options: CommandOptions) {
    this.#rt = runtime;
    this.#opts = options;
  }

  get state(): State['kind'] {
    return this.#state.kind;
  }

  /** Run the command to the end; resolves with the exit code for the init. */
  async run(): Promise<number> {
    const [file, ...args] = this.#opts.command;
    if (file === undefined) throw new Error('CommandInit.run() without a command');
    const log = this.#rt.log;
    const tty = this.#opts.ttyHandoff;
    // Signals are routed first: what a plain spawn gives the child depends on it (signalsToSet).
    this.#rt.start((signal) => this.#onSignal(signal));
    const { shim, ...launch } = launcher(this.#opts, signalsToSet(this.#opts.signals), file, args);
    const child = new ManagedProcess(
      {
        ...launch,
        env: this.#opts.env,
        cwd: this.#opts.cwd,
        stdio: stdioWithFds(this.#opts.fdMap),
        ownGroup: true,
      },
      { own: (p) => this.#rt.reaper.own(p), disown: (p) => this.#rt.reaper.disown(p), now: Date.now },
    );
    this.#child = child;
    if (tty?.kind === 'session') {
      // Our listeners are in place: the SIGHUP and SIGCONT the kernel sends to the foreground
      // group when a session leader gives up its terminal are ours, not the child's.
      try {
        tty.release();
        this.#dropHandoffUntil = Date.now() + 250;
      } catch (err) {
        log.warn('could not hand the terminal to the child', { error: (err as Error).message });
      }
    }
    child.start();
    if (child.pid !== undefined) {
      log.debug('child started', { pid: child.pid, command: file, exec_shim: shim });
      // Run the forwarding path once with signal 0 (delivers nothing): its first real use,
      // a SIGTERM from the orchestrator, then runs warm code instead of cold.
      child.signal(0, this.#opts.processGroup);
    }

    const outcome = await child.waitExit();
    if (outcome.kind === 'spawn-failed') {
      const code = spawnFailureCode(outcome.code);
      log.error(`${code === 'RM_SPAWN_NOT_FOUND' ? 'command not found' : 'cannot execute'}: ${file}`, { code, errno: outcome.code });
    } else {
      log.debug('child exited', outcome.kind === 'exited' ? { code: outcome.code } : { signal: outcome.signal });
    }
    // The child is gone: anything it left behind is now ours. TERM it, wait, KILL it.
    const now = Date.now();
    const st = this.#state;
    const deadline = st.kind === 'stopping' ? st.deadline : st.kind === 'killing' ? now : now + this.#opts.gracefulTimeoutMs;
    this.#state = { kind: 'draining', outcome };
    await this.#rt.terminateDescendants(deadline);
    this.#finish();
    return exitCodeOf(outcome, this.#opts.remapExit);
  }

  #dropHandoffUntil = 0;
  readonly #dropped = new Set<NodeJS.Signals>();

  #onSignal(signal: NodeJS.Signals): void {
    const s = this.#state;
    const log = this.#rt.log;
    if ((signal === 'SIGHUP' || signal === 'SIGCONT') && Date.now() < this.#dropHandoffUntil && !this.#dropped.has(signal)) {
      this.#dropped.add(signal);
      log.debug('dropped the terminal hand-off signal', { signal });
      return;
    }
    switch (s.kind) {
      case 'running':
      case 'stopping':
      case 'killing': {
        const ok = this.#child?.signal(signal, this.#opts.processGroup) ?? false;
        if (log.enabled('debug')) log.debug('forwarded signal', { signal, to: this.#child?.pid, group: this.#opts.processGroup, delivered: ok });
        if (s.kind === 'running' && SHUTDOWN_SIGNALS.has(signal)) this.#beginStop(signal);
        return;
      }
      case 'draining':
        // The child is gone; a second TERM means "hurry": pass it on to what is left.
        if (signalNumber(signal) !== undefined) this.#rt.signalDescendants(signal);
        return;
      default:
        return assertNever(s);
    }
  }

  #beginStop(signal: NodeJS.Signals): void {
    const deadline = Date.now() + this.#opts.gracefulTimeoutMs;
    this.#state = { kind: 'stopping', deadline, signal };
    this.#rt.log.info('shutting down', { signal, grace_seconds: this.#opts.gracefulTimeoutMs / 1000 });
    this.#stopTimer = setTimeout(() => {
      if (this.#state.kind !== 'stopping') return;
      this.#state = { kind: 'killing' };
      const n = this.#rt.signalDescendants('SIGKILL');
      this.#rt.log.warn('grace period over: sent SIGKILL', { processes: n });
    }, this.#opts.gracefulTimeoutMs);
  }

  #finish(): void {
    if (this.#stopTimer) clearTimeout(this.#stopTimer);
    this.#stopTimer = undefined;
    this.#rt.dispose();
  }
}
