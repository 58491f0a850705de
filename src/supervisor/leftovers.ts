/**
 * What is left of a worker's process group once its main process has exited: its
 * children and theirs (a gunicorn master's sync workers after the master was SIGKILLed),
 * which would otherwise keep serving on the shared socket beside the replacement. They are
 * stopped as systemd's KillMode=control-group does: the stop signal (and SIGCONT, so that a
 * stopped process sees it), then SIGKILL once the timeout is over.
 *
 *   start --group empty--------------------------------------------> none
 *     |
 *     +--members left: signal + SIGCONT--> signaled --empty--------> stopped
 *                                             |
 *                                             +--timeout: SIGKILL--> killed --empty--> killed
 *                                                                      |
 *                                                                      +--killWaitMs--> stuck
 *
 * Only the process group is covered: a process that left it (setsid, setpgid) is not seen.
 * The group is found by its id, the worker's pid, and polled with kill(-pgid, 0), which
 * counts zombies too: the orphans go to the init (PID 1 or subreaper), which reaps them.
 * While a group has members the kernel does not hand its id out as a pid again, so once
 * a live process has that pid the old group is gone: it is checked before every signal.
 */

import type { Logger } from '../log/logger.js';

export type LeftoversOutcome =
  /** nothing was left in the group */
  | { kind: 'none' }
  /** what was left exited after the stop signal */
  | { kind: 'stopped' }
  /** what was left outlived the timeout and got SIGKILL */
  | { kind: 'killed' }
  /** still there killWaitMs after SIGKILL (uninterruptible, or zombies no one reaps) */
  | { kind: 'stuck' };

/** kill(2), as Node's process.kill, with the result as data. */
export interface GroupSys {
  kill(pid: number, signal: NodeJS.Signals | 0): 'ok' | 'ESRCH' | 'EPERM';
}

export const processKill: GroupSys = {
  kill(pid, signal) {
    try {
      process.kill(pid, signal);
      return 'ok';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'EPERM' : 'ESRCH';
    }
  },
};

export interface LeftoversOptions {
  /** the watcher's stop_signal */
  signal: NodeJS.Signals;
  /** the group already got `signal` (stop_children): do not send it twice */
  alreadySent?: boolean;
  /** SIGKILL after this long (the watcher's graceful_timeout) */
  timeoutMs: number;
  /** how long to wait for the group to be gone after SIGKILL. @default 5000 */
  killWaitMs?: number;
  /** @default 20 */
  pollMs?: number;
  /** @default process.kill */
  sys?: GroupSys;
}

export interface Leftovers {
  /** the group had members when the cleanup started */
  readonly present: boolean;
  readonly done: Promise<LeftoversOutcome>;
  /** SIGKILL what is left now (the watcher is destroyed). Idempotent. */
  kill(): void;
}

/** Start stopping what is left of process group `pgid`; its leader has exited and been reaped. */
export function stopLeftovers(pgid: number, o: LeftoversOptions): Leftovers {
  const sys = o.sys ?? processKill;
  // A live process with the group's id as its pid means the group is gone and the number reused.
  const alive = (): boolean => sys.kill(pgid, 0) === 'ESRCH' && sys.kill(-pgid, 0) !== 'ESRCH';
  const send = (signal: NodeJS.Signals): void => {
    if (sys.kill(pgid, 0) === 'ESRCH') sys.kill(-pgid, signal);
  };
  if (!alive()) return { present: false, done: Promise.resolve({ kind: 'none' }), kill() {} };

  let finish!: (o: LeftoversOutcome) => void;
  const done = new Promise<LeftoversOutcome>((resolve) => (finish = resolve));
  let killedAt: number | undefined;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const kill = (): void => {
    if (killedAt !== undefined || settled) return;
    killedAt = Date.now();
    send('SIGKILL');
    clearTimeout(timer);
    timer = setTimeout(() => end({ kind: 'stuck' }), o.killWaitMs ?? 5_000);
  };
  const end = (outcome: LeftoversOutcome): void => {
    settled = true;
    clearTimeout(timer);
    clearInterval(poll);
    finish(outcome);
  };
  const poll = setInterval(() => {
    if (!alive()) end({ kind: killedAt === undefined ? 'stopped' : 'killed' });
  }, o.pollMs ?? 20);
  if (!o.alreadySent) {
    send(o.signal);
    if (o.signal !== 'SIGKILL' && o.signal !== 'SIGCONT') send('SIGCONT');
  }
  timer = setTimeout(kill, Math.max(0, o.timeoutMs));
  return { present: true, done, kill };
}

/**
 * The groups of a watcher's exited workers that still have members being stopped: each
 * cleanup started once per group, logged when it starts and when it ends.
 */
export class LeftoverGroups {
  readonly #groups = new Set<Leftovers>();
  /** every group ever swept: a second sweep of one already gone starts nothing again */
  readonly #seen = new WeakSet<Leftovers>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  get size(): number {
    return this.#groups.size;
  }

  /** what is being stopped now */
  get pending(): Array<Promise<LeftoversOutcome>> {
    return [...this.#groups].map((g) => g.done);
  }

  /** `left`: a worker's leftovers (undefined before its exit). Resolves when they are gone. */
  sweep(left: Leftovers | undefined, fields: { watcher: string; wid: number; pgid: number | undefined; signal: string }, gracefulTimeout: number): Promise<unknown> {
    if (!left?.present) return Promise.resolve();
    if (!this.#seen.has(left)) {
      this.#seen.add(left);
      this.#groups.add(left);
      const log = this.#log;
      log.warn("worker's process group outlived it: stopping what is left", fields);
      void left.done.then((o) => {
        this.#groups.delete(left);
        if (o.kind === 'killed') log.warn("worker's leftovers got SIGKILL after graceful_timeout", { ...fields, graceful_timeout: gracefulTimeout });
        else if (o.kind === 'stuck') log.warn("worker's leftovers are still there after SIGKILL", fields);
        else log.info("worker's leftovers are gone", fields);
      });
    }
    return left.done;
  }

  /** SIGKILL what is left of every group now. */
  kill(): void {
    for (const g of this.#groups) g.kill();
  }
}
