/**
 * The arbiter: every watcher of a config, over one set of bound sockets. Watchers start
 * by priority (higher first, warmup_delay apart) and stop in the reverse order. It never
 * exits the process itself: when a watcher's `exit_on` fires, it asks its host to. A
 * reload's plan is applied here too (apply()), and the arbiter holds the config in force.
 */
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { applyPlan, type ApplyResult } from './apply.js';
import { realTimers, sleep, type OomCheck, type Spawner, type Timers, type WorkerSys } from './edges.js';
import type { EventBus } from './events.js';
import { exitCodeOf } from './process.js';
import type { ReloadPlan } from './reload-plan.js';
import { resolveIds } from './watcher-status.js';
import type { CopySignals } from './worker-spec.js';
import type { SocketSet } from './socket-set.js';
import { Watcher, type WatcherStatus } from './watcher.js';

export interface ArbiterHost {
  log: Logger;
  /** passed to the watchers: where they say what happens */
  events: EventBus;
  own(pid: number): void;
  disown(pid: number): void;
  now(): number;
  baseEnv: NodeJS.ProcessEnv;
  cwd: string;
  copySignals?: CopySignals;
  /** a watcher's exit_on fired: the init should shut down and exit with `code` */
  requestExit(code: number, reason: string): void;
  /** @default realTimers */
  timers?: Timers;
  /** for the watchers (see WatcherHost) */
  spawner?: Spawner;
  sys?: WorkerSys;
  oom?: OomCheck;
}

export interface SocketStatus {
  name: string;
  url: string;
  fd: number;
  port: number | undefined;
}

export interface ArbiterStatus {
  watchers: WatcherStatus[];
  sockets: SocketStatus[];
}

/**
 * How Arbiter.start() ended. `started`: every start task succeeded and every autostart
 * watcher was started (its workers are spawned; they may not be ready yet). `failed`: a
 * start task failed after its retries (what had started is left to the caller to stop;
 * ringmaster exits with `status`). `aborted`: stop() came first.
 */
export type StartOutcome =
  | { kind: 'started' }
  | { kind: 'failed'; task: string; status: number; message: string }
  | { kind: 'aborted' };

/** The exit status for ringmaster when FATAL watcher `w` ends it: its last worker's status, never 0. */
export function fatalExitCode(w: Watcher): number {
  const last = w.status().lastExit;
  const code = last ? exitCodeOf(last.outcome) : 1;
  return code === 0 ? 1 : code;
}

export class Arbiter {
  /** in start order: priority descending, then name */
  readonly watchers: Watcher[] = [];
  readonly sockets: SocketSet;
  #config: Config;
  readonly #host: ArbiterHost;
  /** aborted by stop() and destroy(): the warm-up sleep between two watchers' starts */
  #run = new AbortController();

  constructor(config: Config, sockets: SocketSet, host: ArbiterHost) {
    this.#config = config;
    this.#host = host;
    this.sockets = sockets;
    for (const wc of config.watchers) this.watchers.push(this.#make(wc));
  }

  /** Stop a watcher and forget it. */
  async remove(name: string): Promise<void> {
    const w = this.get(name);
    if (!w) return;
    await w.stop();
    this.watchers.splice(this.watchers.indexOf(w), 1);
  }

  /** The config in force: the one it was made with, then each reload's (see apply()). */
  get config(): Config {
    return this.#config;
  }

  /**
   * Apply a reload's plan, from the config in force to `next` (see apply.ts). Resolves with
   * what was added, removed, restarted (each rollout's result), scaled and kept on its old
   * config; or with why the reload was refused, and then nothing changed.
   */
  apply(plan: ReloadPlan, next: Config): Promise<ApplyResult> {
    const self = this;
    return applyPlan<Watcher>(
      {
        log: this.#host.log,
        sockets: this.sockets,
        get config() {
          return self.#config;
        },
        set config(c: Config) {
          self.#config = c;
        },
        get: (name) => this.get(name),
        check: (wc) => void resolveIds(wc),
        make: (wc) => this.#make(wc),
        insert: (w) => this.#insert(w),
        remove: (name) => this.remove(name),
      },
      plan,
      next,
    );
  }

  /** A new watcher (from a reload) in the pool, placed by priority; not started. */
  #insert(w: Watcher): void {
    this.watchers.push(w);
    this.watchers.sort((a, b) => b.config.priority - a.config.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #make(wc: Config['watchers'][number]): Watcher {
    const host = this.#host;
    const sockets = this.sockets;
    return new Watcher(wc, {
      log: host.log,
      events: host.events,
      timers: host.timers,
      spawner: host.spawner,
      sys: host.sys,
      oom: host.oom,
      sockets,
      own: host.own,
      disown: host.disown,
      now: host.now,
      baseEnv: host.baseEnv,
      cwd: host.cwd,
      copySignals: host.copySignals,
      onUnexpectedExit: (w, wid, outcome) => {
        if (w.config.exit_on === 'exit') {
          host.requestExit(exitCodeOf(outcome), `watcher "${w.name}" worker ${wid} exited and exit_on = exit`);
        }
      },
      onFatal: (w) => {
        if (w.config.exit_on === 'fatal' || w.config.exit_on === 'exit') {
          host.requestExit(fatalExitCode(w), `watcher "${w.name}" is FATAL and exit_on = ${w.config.exit_on}`);
        }
      },
    });
  }

  /** Watcher by name, case-insensitively (as circusctl looks them up). */
  get(name: string): Watcher | undefined {
    const n = name.toLowerCase();
    return this.watchers.find((w) => w.name.toLowerCase() === n);
  }

  /** Start the autostart watchers in order, warmup_delay apart; a stop() meanwhile ends it. */
  async start(): Promise<StartOutcome> {
    if (this.#run.signal.aborted) this.#run = new AbortController();
    const signal = this.#run.signal;
    const delay = this.#config.ringmaster.warmup_delay;
    let first = true;
    for (const w of this.watchers) {
      if (!w.config.autostart) continue;
      if (!first && delay > 0 && !(await sleep(this.#host.timers ?? realTimers, delay * 1000, signal))) return { kind: 'aborted' };
      if (signal.aborted) return { kind: 'aborted' };
      first = false;
      await w.start();
    }
    return { kind: 'started' };
  }

  /** Stop the watchers in the reverse of their start order. */
  async stop(): Promise<void> {
    this.#run.abort();
    for (const w of [...this.watchers].reverse()) await w.stop();
  }

  /** SIGKILL every worker now. */
  destroy(): void {
    this.#run.abort();
    for (const w of this.watchers) w.destroy();
  }

  /** Pass a signal the init does not use itself to the watchers that take it. Returns the number of workers signalled. */
  forward(signal: NodeJS.Signals): number {
    let n = 0;
    for (const w of this.watchers) if (w.config.forward_signals.includes(signal)) n += w.signal(signal);
    return n;
  }

  status(): ArbiterStatus {
    return {
      watchers: this.watchers.map((w) => w.status()),
      sockets: this.sockets.list().map((s) => ({ name: s.name, url: s.url, fd: s.fd, port: s.port })),
    };
  }
}
