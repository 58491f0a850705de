/**
 * What makes a process a good init, whatever it runs: it is a subreaper when it is
 * not PID 1, it reaps every orphan on SIGCHLD, it listens to every catchable signal,
 * and it can tell when all its descendants are gone.
 */
import * as libc from '../sys/libc.js';
import { childrenOf, descendantsOf, ownChildren } from '../sys/proc.js';
import type { Logger } from '../log/logger.js';
import { Reaper, waitFields } from './reaper.js';
import { routeSignals } from './signals.js';
import { takeHeldSignals } from './early-signals.js';
import type { ErrorCode } from '../errors/codes.js';

export interface RuntimeOptions {
  log: Logger;
  /** Become a child subreaper when not PID 1. @default true */
  subreaper?: boolean;
  /** Log every reaped orphan as a warning (tini -w). @default false */
  warnOnReap?: boolean;
  /** Signal to receive when our parent dies (tini -p). */
  parentDeathSignal?: number;
}

export type ForwardHandler = (signal: NodeJS.Signals) => void;

export class InitRuntime {
  readonly reaper: Reaper;
  readonly log: Logger;
  readonly pid = process.pid;
  #unroute: (() => void) | undefined;
  readonly #childWatchers = new Set<() => void>();
  readonly #options: RuntimeOptions;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.log = options.log;
    this.reaper = new Reaper({
      peekExitedChild: libc.peekExitedChild,
      waitpidNoHang: libc.waitpidNoHang,
      children: ownChildren,
    });
    // Only listen when the line would be printed: reaping thousands of orphans is a hot path.
    if (options.warnOnReap || this.log.enabled('debug')) {
      this.reaper.onReap((pid, status) => {
        const how = waitFields(status);
        if (options.warnOnReap) this.log.warn('reaped zombie process', { pid, ...how });
        else this.log.debug('reaped zombie process', { pid, ...how });
      });
    }
  }

  /** Become the reaper for our subtree and start routing signals to `onSignal` (SIGCHLD is handled here). */
  start(onSignal: ForwardHandler): void {
    // PID 1 must never die of a bug of ours: if it does, the container dies with it.
    process.on('uncaughtException', this.#onBug);
    process.on('unhandledRejection', this.#onBug);
    this.#setupReaping();
    if (this.#options.parentDeathSignal !== undefined) {
      libc.setParentDeathSignal(this.#options.parentDeathSignal);
    }
    this.#unroute = routeSignals(
      (signal) => {
        if (signal === 'SIGCHLD') {
          this.log.trace('received SIGCHLD');
          this.reapNow();
          return;
        }
        onSignal(signal);
      },
      process,
      // As PID 1 the kernel already drops a real-time signal we have no handler for. Else a
      // handler that does nothing, not SIG_IGN: exec resets it, where an ignored signal would
      // stay ignored in every child (libuv resets only 1..31 before exec).
      this.pid === 1 ? () => {} : libc.discardSignal,
    );
    // Signals that came while we were loading: handled once the caller has started its
    // child or watchers (it does so in the same tick as start()).
    const early = takeHeldSignals();
    if (early.length > 0) {
      setImmediate(() => {
        for (const signal of early) {
          this.log.debug('signal received while starting', { signal });
          onSignal(signal);
        }
      });
    }
  }

  #setupReaping(): void {
    if (this.pid === 1) return;
    if (this.#options.subreaper === false) {
      this.log.warn('not running as PID 1 and subreaper mode is off: orphans of the child are re-parented elsewhere and zombie reaping will not work');
      return;
    }
    try {
      libc.setChildSubreaper(true);
      this.log.debug('not PID 1: registered as a child subreaper', { pid: this.pid });
    } catch (err) {
      this.log.warn('not running as PID 1 and could not become a child subreaper: zombie reaping will not work', {
        error: (err as Error).message,
      });
    }
  }

  /** Reap what has exited, then tell whoever waits for children to go. */
  reapNow(): void {
    try {
      this.reaper.pass();
    } catch (err) {
      this.log.error('reaping failed', { error: (err as Error).message });
    }
    for (const w of this.#childWatchers) w();
  }

  /** Our descendants right now (children, their children, ...). */
  descendants(): number[] {
    return descendantsOf('self');
  }

  /** Send `signal` to every descendant. Returns how many were signalled. */
  signalDescendants(signal: NodeJS.Signals): number {
    let n = 0;
    for (const pid of this.descendants()) {
      try {
        process.kill(pid, signal);
        n++;
      } catch {
        // gone meanwhile
      }
    }
    return n;
  }

  /**
   * Resolve true as soon as we have no child left, false at `deadline` (ms since epoch).
   * Checked on every SIGCHLD and, as a backstop, every 20 ms.
   */
  waitNoChildren(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (childrenOf('self').length === 0) return done(true);
        if (Date.now() >= deadline) return done(false);
      };
      const timer = setInterval(() => {
        this.reaper.pass();
        check();
      }, 20);
      const done = (result: boolean): void => {
        clearInterval(timer);
        this.#childWatchers.delete(check);
        resolve(result);
      };
      this.#childWatchers.add(check);
      check();
    });
  }

  /**
   * TERM every descendant, wait until they are gone or `deadline`, then KILL what is
   * left and wait (bounded by `killWaitMs`). Returns how many had to be killed.
   */
  async terminateDescendants(deadline: number, killWaitMs = 5_000): Promise<number> {
    const left = this.descendants();
    if (left.length === 0) return 0;
    this.log.info('terminating remaining processes', { count: left.length });
    this.signalDescendants('SIGTERM');
    if (await this.waitNoChildren(deadline)) return 0;
    const killed = this.signalDescendants('SIGKILL');
    this.log.warn('grace period over: killed remaining processes', { count: killed });
    await this.waitNoChildren(Date.now() + killWaitMs);
    return killed;
  }

  readonly #onBug = (err: unknown): void => {
    this.log.error(`internal error (ringmaster keeps running): ${(err as Error)?.stack ?? String(err)}`, { code: 'RM_INTERNAL' satisfies ErrorCode });
  };

  /** Remove every signal listener. Idempotent. */
  dispose(): void {
    process.off('uncaughtException', this.#onBug);
    process.off('unhandledRejection', this.#onBug);
    this.#unroute?.();
    this.#unroute = undefined;
    this.#childWatchers.clear();
  }
}
