/**
 * When a worker counts as ready, one probe per kind of `ready` check, and the watchdog;
 * plus the pacing of the notify channels' drains. A probe only starts its check: the
 * worker (worker.ts) keeps the state, and the watcher drives the notify drains.
 *
 *   none    ready at once
 *   delay   ready `seconds` after the spawn (a timer on the worker's signal)
 *   notify  ready at READY=1; the drain that sees the deadline passed gives up
 *   http    ready at the first 2xx/3xx answer of GET url, or gives up at the timeout
 *
 * The watchdog: a worker that is armed (ready, or any worker when READY=1 is not its
 * check) and sends no WATCHDOG=1 (nor READY=1) for watchdog_sec is overdue.
 */
import type { ReadyCheck } from '../config/types.js';
import { later, type Timers } from './edges.js';
import { expandPorts, waitHttpOk } from './http-check.js';
import { assertNever } from './process.js';

/** What a probe drives on its worker. */
export interface ProbeTarget {
  /** the check passed */
  ready(): void;
  /** the check gave up */
  failed(): void;
  /** aborted when the worker exits (or its watcher stops): the check ends */
  readonly signal: AbortSignal;
}

export interface ProbeContext {
  timers: Timers;
  now(): number;
  /** the bound port of a socket, for `$(circus.sockets.NAME.port)` in an HTTP check's URL */
  portOf(socket: string): number | undefined;
}

export interface ReadinessProbe {
  readonly kind: ReadyCheck['kind'];
  /** READY=1 is the check: until it comes, the notify channel is drained every 10 ms */
  readonly byNotify: boolean;
  /** Start checking a freshly spawned worker; returns the deadline when the drains decide it (notify). */
  start(target: ProbeTarget): number | undefined;
}

/** The probe for a watcher's `ready` option. */
export function probeFor(check: ReadyCheck, ctx: ProbeContext): ReadinessProbe {
  switch (check.kind) {
    case 'none':
      return { kind: 'none', byNotify: false, start: (t) => (t.ready(), undefined) };
    case 'delay':
      return {
        kind: 'delay',
        byNotify: false,
        start: (t) => (later(ctx.timers, check.seconds * 1000, t.signal, () => t.ready()), undefined),
      };
    case 'notify':
      return { kind: 'notify', byNotify: true, start: () => ctx.now() + check.timeout * 1000 };
    case 'http':
      return {
        kind: 'http',
        byNotify: false,
        start: (t) => {
          const url = expandPorts(check.url, ctx.portOf);
          void waitHttpOk(url, Date.now() + check.timeout * 1000, () => t.signal.aborted).then((ok) => {
            if (ok) t.ready();
            else if (!t.signal.aborted) t.failed();
          });
          return undefined;
        },
      };
    default:
      return assertNever(check);
  }
}

/** One worker's watchdog: the last sign of life, and whether it is overdue. */
export class Watchdog {
  readonly #ms: number;
  #last: number;

  /** `seconds` 0: off, never overdue. */
  constructor(seconds: number, now: number) {
    this.#ms = seconds * 1000;
    this.#last = now;
  }

  /** WATCHDOG=1 (or READY=1) at `now` */
  beat(now: number): void {
    this.#last = now;
  }

  /** No sign of life for longer than watchdog_sec; once said, the period starts again. */
  overdue(now: number, armed: boolean): boolean {
    if (this.#ms <= 0 || !armed || now - this.#last <= this.#ms) return false;
    this.#last = now;
    return true;
  }
}

/** What the poller drains. */
export interface PollSource {
  /** how many workers have a notify channel (none: no polling at all) */
  channels(): number;
  /** some worker waits for READY=1 */
  waiting(): boolean;
  watchdogSec(): number;
  /** drain every channel once; returns how many datagrams were rejected */
  drain(): number;
}

/**
 * Drains the notify channels: every 10 ms while a worker waits for READY=1 (or strangers
 * flood a channel), else at a quarter of watchdog_sec (at most every second) to see
 * WATCHDOG=1 and STATUS=. One unref'd timer for the whole watcher; none once no worker
 * has a channel.
 */
export class NotifyPoller {
  readonly #timers: Timers;
  readonly #source: PollSource;
  #timer: unknown;
  #interval = Infinity;
  /** the last drain rejected some: poll at the fast rate */
  #flooded = false;

  constructor(timers: Timers, source: PollSource) {
    this.#timers = timers;
    this.#source = source;
  }

  schedule(): void {
    const s = this.#source;
    if (s.channels() === 0) return;
    // Also while strangers flood a notify socket: its queue (10 datagrams by default) stays
    // full, and a worker's own sd_notify() blocks until the next drain makes room.
    const fast = this.#flooded || s.waiting();
    const wd = s.watchdogSec();
    const interval = fast ? 10 : wd > 0 ? Math.max(50, Math.min(1_000, (wd * 1000) / 4)) : 1_000;
    // A new worker waiting for READY=1 must not wait out the slow timer already pending.
    if (this.#timer !== undefined) {
      if (interval >= this.#interval) return;
      this.#timers.clearTimeout(this.#timer);
    }
    this.#interval = interval;
    this.#timer = this.#timers.setTimeout(
      () => {
        this.#timer = undefined;
        this.#flooded = s.drain() > 0;
        this.schedule();
      },
      interval,
      true,
    );
  }
}
