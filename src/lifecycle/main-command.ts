/**
 * The main command of config mode, `ringmaster -c FILE -- CMD ARGS...`: the watchers are
 * its sidecars. It starts once the start succeeded and every autostart watcher has all its
 * desired workers ready; its exit ends ringmaster with its status (the init stops the
 * watchers gracefully first); it gets signals as the child of command mode does.
 *
 *   waiting --every autostart watcher ready--> running --exit--> exited(outcome, code)
 *      |
 *      +--a watcher FATAL first--> skipped(fatal)    (ringmaster exits non-zero)
 *      +--cancel(): start failed, shutdown first--> skipped(cancelled)
 *
 * Which watchers it waits for, and whether they are ready, is sidecarGate(), a pure
 * function of their status, asked again at every event of the init's bus.
 */
import type { ExitOutcome } from '../supervisor/process.js';
import { assertNever, exitCodeOf, withListenPid } from '../supervisor/process.js';
import type { EventBus } from '../supervisor/events.js';
import type { WatcherStatus } from '../supervisor/watcher.js';
import { readyNeeded } from '../supervisor/watcher-status.js';
import type { Logger } from '../log/logger.js';
import type { Reaper } from './reaper.js';
import { CommandChild, type ChildOptions } from './command-child.js';
import { handSockets } from './socket-handoff.js';
import { shutdownSignals } from './signal-policy.js';

/** What the main command is, as `ringmaster -c FILE [-g] [-e CODE] -- CMD` gives it (its fds come from the config's sockets). */
export interface MainCommandOptions extends Omit<ChildOptions, 'fdMap'> {
  /** -e: exit codes that become 0 */
  remapExit: ReadonlySet<number>;
}

/** What `ctl status` and /readyz show of the main command. */
export interface MainStatus {
  command: string[];
  state: 'waiting' | 'running' | 'exited' | 'skipped';
  /** while waiting: the watchers not ready yet */
  waitingFor?: string[];
  pid?: number;
  /** ms since epoch */
  startedAt?: number;
  /** once exited: its status as ringmaster exits with it (128+N for signal N, -e applied) */
  exitCode?: number;
  /** once exited or skipped: why, in words */
  reason?: string;
}

/** How the main command ended, for the init. */
export type MainEnd =
  | { kind: 'exited'; code: number; outcome: ExitOutcome }
  /** a watcher went FATAL before it started: it never ran */
  | { kind: 'fatal'; watcher: string; reason: string }
  /** it could not even be prepared (a bug, or an OS failure no spawn turned into an outcome) */
  | { kind: 'error'; message: string }
  | { kind: 'cancelled' };

/** Whether the sidecars let the main command start: every autostart watcher ready, or one FATAL. */
export type Gate = { kind: 'open' } | { kind: 'waiting'; on: string[] } | { kind: 'fatal'; watcher: string; reason: string };

/**
 * The gate over the watchers' status. A watcher counts when it has autostart: running with
 * all its desired workers ready (less its completed slots), completed, or stopped on purpose
 * (`ctl stop` meanwhile) opens; `waiting` (its depends_on) and not enough ready workers hold
 * it; FATAL shuts it for good.
 */
export function sidecarGate(watchers: ReadonlyArray<{ autostart: boolean; status: WatcherStatus }>): Gate {
  const on: string[] = [];
  for (const { autostart, status: w } of watchers) {
    if (!autostart) continue;
    switch (w.phase) {
      case 'fatal':
        return { kind: 'fatal', watcher: w.name, reason: w.fatalReason ?? 'gave up restarting its workers' };
      case 'running':
        if (w.ready < readyNeeded(w)) on.push(w.name);
        break;
      case 'waiting':
        on.push(w.name);
        break;
      case 'stopped':
      case 'stopping':
      case 'completed':
        break;
      default:
        return assertNever(w.phase);
    }
  }
  return on.length === 0 ? { kind: 'open' } : { kind: 'waiting', on };
}

export interface MainCommandHost {
  log: Logger;
  reaper: Pick<Reaper, 'own' | 'disown'>;
  /** the init's events: the gate is asked again at each */
  events: EventBus;
  /** the watchers now, with their autostart */
  watchers(): Array<{ autostart: boolean; status: WatcherStatus }>;
  /** the config's sockets, handed over as fds 3, 4, ... */
  sockets(): ReadonlyArray<{ name: string; fd: number }>;
}

type State =
  | { kind: 'waiting'; on: string[] }
  | { kind: 'running'; child: CommandChild; startedAt: number }
  | { kind: 'exited'; code: number; outcome: ExitOutcome; reason: string }
  | { kind: 'skipped'; reason: string };

const STOP_SIGNALS = shutdownSignals('command');

export class MainCommand {
  readonly #opts: MainCommandOptions;
  readonly #host: MainCommandHost;
  #state: State = { kind: 'waiting', on: [] };
  /** ends the wait: cancel() */
  #cancel: (() => void) | undefined;
  #exited: Promise<void> | undefined;
  /** a shutdown signal reached it already: stop() sends none */
  #stopSent = false;

  constructor(options: MainCommandOptions, host: MainCommandHost) {
    this.#opts = options;
    this.#host = host;
  }

  /** Wait for the sidecars, run it, resolve with how it ended. Call once, after the watchers were started. */
  run(): Promise<MainEnd> {
    if (this.#state.kind !== 'waiting') return Promise.resolve({ kind: 'cancelled' });
    return new Promise<MainEnd>((resolve) => {
      const host = this.#host;
      let logged = '';
      const check = (): void => {
        if (this.#state.kind !== 'waiting') return;
        const gate = sidecarGate(host.watchers());
        switch (gate.kind) {
          case 'waiting':
            this.#state = { kind: 'waiting', on: gate.on };
            if (gate.on.join() !== logged) host.log.info('main command waits for its sidecars to be ready', { watchers: gate.on.join(', ') });
            logged = gate.on.join();
            return;
          case 'fatal':
            done();
            this.#state = { kind: 'skipped', reason: `watcher ${gate.watcher} is FATAL: ${gate.reason}` };
            return resolve(gate);
          case 'open':
            done();
            return void this.#start().then(resolve, (err: unknown) => {
              const message = (err as Error)?.message ?? String(err);
              this.#state = { kind: 'skipped', reason: `could not be started: ${message}` };
              resolve({ kind: 'error', message });
            });
          default:
            return assertNever(gate);
        }
      };
      const unsubscribe = host.events.subscribe(() => queueMicrotask(check));
      const done = (): void => {
        unsubscribe();
        this.#cancel = undefined;
      };
      this.#cancel = () => {
        done();
        resolve({ kind: 'cancelled' });
      };
      check();
    });
  }

  /** Not started yet: it never will be (the start failed, a shutdown came first). */
  cancel(reason: string): void {
    if (this.#state.kind !== 'waiting') return;
    this.#state = { kind: 'skipped', reason };
    this.#cancel?.();
  }

  /** Pass a signal on, as command mode does (to its group with -g). Returns whether it was delivered. */
  forward(signal: NodeJS.Signals): boolean {
    if (this.#state.kind !== 'running') return false;
    if (STOP_SIGNALS.has(signal)) this.#stopSent = true;
    return this.#state.child.forward(signal);
  }

  /** the terminal hand-off's SIGHUP or SIGCONT, to be dropped (see CommandChild.dropHandoff) */
  dropHandoff(signal: NodeJS.Signals): boolean {
    return this.#state.kind === 'running' && this.#state.child.dropHandoff(signal);
  }

  /**
   * Stop it, if it runs: SIGTERM (unless a shutdown signal reached it already), SIGKILL to its
   * process group at `deadline` (ms since epoch). Resolves once it has exited. Not started:
   * it never will be.
   */
  async stop(deadline: number): Promise<void> {
    const s = this.#state;
    if (s.kind === 'waiting') return this.cancel('ringmaster shut down before the sidecars were ready');
    if (s.kind !== 'running') return;
    if (!this.#stopSent) this.forward('SIGTERM');
    const timer = setTimeout(() => {
      if (this.#state.kind !== 'running') return;
      this.#host.log.warn('graceful_timeout over: killing the main command', { pid: s.child.pid });
      this.#state.child.forward('SIGKILL');
    }, Math.max(0, deadline - Date.now()));
    await this.#exited;
    clearTimeout(timer);
  }

  status(): MainStatus {
    const s = this.#state;
    const command = [...this.#opts.command];
    switch (s.kind) {
      case 'waiting':
        return { command, state: 'waiting', waitingFor: [...s.on] };
      case 'running':
        return { command, state: 'running', ...(s.child.pid === undefined ? {} : { pid: s.child.pid }), startedAt: s.startedAt };
      case 'exited':
        return { command, state: 'exited', exitCode: s.code, reason: s.reason };
      case 'skipped':
        return { command, state: 'skipped', reason: s.reason };
      default:
        return assertNever(s);
    }
  }

  async #start(): Promise<MainEnd> {
    const o = this.#opts;
    const sockets = this.#host.sockets();
    const handed = handSockets(sockets, o.env, o.command);
    // LISTEN_PID must name the command, whose pid is known only after the fork
    const command = sockets.length > 0 ? withListenPid(handed.command) : handed.command;
    const child = new CommandChild(this.#host.log, this.#host.reaper, { ...o, command, env: handed.env, fdMap: handed.fdMap });
    child.start();
    this.#state = { kind: 'running', child, startedAt: Date.now() };
    this.#host.log.info('main command started', { pid: child.pid, command: o.command.join(' ') });
    const exit = child.waitExit();
    this.#exited = exit.then(() => undefined);
    const outcome = await exit;
    const code = exitCodeOf(outcome, o.remapExit);
    const reason = outcome.kind === 'exited' ? `exited ${outcome.code}` : outcome.kind === 'signaled' ? `killed by ${outcome.signal}` : `did not start (${outcome.code})`;
    this.#state = { kind: 'exited', code, outcome, reason };
    return { kind: 'exited', code, outcome };
  }
}
