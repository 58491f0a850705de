/**
 * The arbiter: every watcher of a config, over one set of bound sockets, and its tasks.
 * Start tasks and watchers start by the dependency graph (start-graph.ts: depends_on, then
 * priority; watcher starts warmup_delay apart); watchers stop in the reverse of that order,
 * then the stop tasks run (runStopTasks). It never
 * exits the process itself: when a watcher's `exit_on` fires, it asks its host to. A
 * reload's plan is applied here too (apply()), and the arbiter holds the config in force.
 */
import type { Config, TaskConfig } from '../config/types.js';
import { RingmasterError } from '../errors/codes.js';
import type { Logger } from '../log/logger.js';
import { applyPlan, type ApplyResult } from './apply.js';
import { realTimers, sleep, type OomCheck, type Spawner, type Timers, type WorkerSys } from './edges.js';
import type { EventBus } from './events.js';
import { exitCodeOf } from './process.js';
import type { ReloadPlan } from './reload-plan.js';
import { graphOrder, isStartTask, StartGraph } from './start-graph.js';
import { runAttempts } from './task-attempts.js';
import type { TaskRunner, TaskRunResult } from './task-run.js';
import { TaskTally, type TaskStatus } from './task-tally.js';
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
  /**
   * The task runner (task-runner.ts loadTaskRunner: it imports execa). ConfigInit has it
   * loaded before the privilege drop when the config has tasks; the arbiter asks again at
   * a reload that adds the first task, and refuses that reload when it rejects.
   */
  taskRunner?: () => Promise<TaskRunner>;
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
  /** every task of the config in force, in its order */
  tasks: TaskStatus[];
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

/** A config's tasks (a Config made by hand, in a test or by an older caller, may have none). */
function tasksOf(config: Config): readonly TaskConfig[] {
  return config.tasks ?? [];
}

/** The result of a task that could not run for want of a runner (execa not loaded): a bug if ever seen. */
function noRunner(): TaskRunResult {
  return { kind: 'spawn-failed', status: 126, durationMs: 0, tail: [], message: 'no task runner loaded (execa)' };
}

export class Arbiter {
  /** in start order: priority descending, then name */
  readonly watchers: Watcher[] = [];
  readonly sockets: SocketSet;
  #config: Config;
  readonly #host: ArbiterHost;
  /** aborted by stop() and destroy(): the start graph, its warm-up sleeps and start tasks */
  #run = new AbortController();
  /** from start() on: what starts when (depends_on) */
  #graph: StartGraph | undefined;
  /** the tasks' runs, counted from the task.* events (scheduled runs too) */
  readonly #tasks = new TaskTally();
  #runner: TaskRunner | undefined;

  constructor(config: Config, sockets: SocketSet, host: ArbiterHost) {
    this.#config = config;
    this.#host = host;
    this.sockets = sockets;
    for (const t of tasksOf(config)) resolveIds(t, `tasks.${t.name}`);
    for (const wc of config.watchers) this.watchers.push(this.#make(wc));
    host.events.subscribe((e) => this.#tasks.record(e, host.now()));
  }

  /** The task runner, loaded (execa) once; rejects with RM_INTERNAL when it cannot be. */
  async taskRunner(): Promise<TaskRunner> {
    if (this.#runner) return this.#runner;
    if (!this.#host.taskRunner) throw new RingmasterError('RM_INTERNAL', 'tasks cannot run: this ringmaster was started without a task runner');
    try {
      this.#runner = await this.#host.taskRunner();
    } catch (err) {
      throw new RingmasterError('RM_INTERNAL', `tasks cannot run: loading execa failed (${(err as Error).message}); is the install readable by the user ringmaster runs as?`);
    }
    return this.#runner;
  }

  /** What runs a task (attempts, retries, owning its pid), for the graph and the stop tasks. */
  #taskHost(run: TaskRunner) {
    const h = this.#host;
    return { run, events: h.events, own: h.own, disown: h.disown, baseEnv: h.baseEnv, cwd: h.cwd, timers: h.timers ?? realTimers };
  }

  /** Stop a watcher and forget it. */
  async remove(name: string): Promise<void> {
    const w = this.get(name);
    if (!w) return;
    this.#graph?.remove(name);
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
  async apply(plan: ReloadPlan, next: Config): Promise<ApplyResult> {
    const self = this;
    const known = new Set(tasksOf(this.#config).map((t) => t.name.toLowerCase()));
    const addedTasks = tasksOf(next).filter((t) => !known.has(t.name.toLowerCase()));
    try {
      for (const t of tasksOf(next)) resolveIds(t, `tasks.${t.name}`);
      // the first task of a reload: execa was not loaded at start, and the privileges are dropped by now
      if (tasksOf(next).length > 0) await this.taskRunner();
    } catch (err) {
      if (err instanceof RingmasterError) return { kind: 'refused', error: err };
      throw err;
    }
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
        startAdded: (made) => this.#startAdded(made, addedTasks, tasksOf(next)),
      },
      plan,
      next,
    );
  }

  /**
   * A reload's new watchers and start tasks go to the start graph: an added start task runs
   * once, before what depends on it starts; a watcher starts once its dependencies are met
   * (this does not wait for that). Before start(), they start with the rest.
   */
  async #startAdded(made: Watcher[], tasks: TaskConfig[], all: readonly TaskConfig[]): Promise<void> {
    if (this.#graph) {
      this.#graph.update(all.filter(isStartTask));
      return this.#graph.add(made, tasks.filter(isStartTask));
    }
    for (const w of made) if (w.config.autostart) await w.start();
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

  /**
   * Run the start tasks and start the autostart watchers by the dependency graph
   * (start-graph.ts); a stop() meanwhile ends it (`aborted`). `failed`: a start task failed
   * after its retries; nothing that depends on it was started, and what runs is left to the
   * caller to stop (stop()). Resolves `started` once nothing more can start by itself
   * (a watcher that waits for one with autostart false waits on, and starts once it can).
   */
  async start(): Promise<StartOutcome> {
    if (this.#run.signal.aborted) this.#run = new AbortController();
    const signal = this.#run.signal;
    const starts = tasksOf(this.#config).filter(isStartTask);
    if (starts.length > 0) {
      try {
        await this.taskRunner();
      } catch (err) {
        const t = starts[0] as TaskConfig;
        return { kind: 'failed', task: t.name, status: 1, message: (err as Error).message };
      }
    }
    // the runner of the moment: a reload that adds the first task loads it (apply()) before the graph runs it
    const run: TaskRunner = (t, ctx, sig) => (this.#runner ? this.#runner(t, ctx, sig) : Promise.resolve(noRunner()));
    void this.#graph?.close();
    const graph = new StartGraph({ ...this.#taskHost(run), events: this.#host.events, warmupDelay: () => this.#config.ringmaster.warmup_delay }, signal);
    this.#graph = graph;
    graph.add(this.watchers, starts);
    return graph.start();
  }

  /** The watchers in start order (depends_on, then priority); stop() goes the other way. */
  #startOrder(): Watcher[] {
    const byName = new Map(this.watchers.map((w) => [w.name.toLowerCase(), w]));
    const items = [...this.watchers.map((w) => w.config), ...tasksOf(this.#config).filter(isStartTask)];
    return graphOrder(items)
      .map((x) => byName.get(x.name.toLowerCase()))
      .filter((w): w is Watcher => w !== undefined && this.watchers.includes(w));
  }

  /** Stop the watchers in the reverse of their start order (what depends on another stops before it). */
  async stop(): Promise<void> {
    this.#run.abort();
    // a start task cut short (TERM, then KILL after its graceful_timeout) ends before the watchers stop
    await this.#graph?.close();
    for (const w of this.#startOrder().reverse()) await w.stop();
  }

  /**
   * Run the stop tasks (`when: stop`), one after the other in the config's order (priority,
   * then name), each with its retries; `signal` (the shutdown's deadline) cuts them short.
   * Call it once the watchers have stopped. A failed stop task is logged (task.finished)
   * and does not change the exit code.
   */
  async runStopTasks(signal: AbortSignal): Promise<void> {
    const stops = tasksOf(this.#config).filter((t) => t.when === 'stop' && t.schedule === undefined);
    if (stops.length === 0) return;
    let run: TaskRunner;
    try {
      run = await this.taskRunner();
    } catch (err) {
      this.#host.log.error(`stop tasks not run: ${(err as Error).message}`);
      return;
    }
    for (const t of stops) {
      if (signal.aborted) return;
      await runAttempts(t, this.#taskHost(run), signal);
    }
  }

  /** SIGKILL every worker now. */
  destroy(): void {
    this.#run.abort();
    void this.#graph?.close();
    for (const w of this.watchers) w.destroy();
  }

  /** Pass a signal the init does not use itself to the watchers that take it. Returns the number of workers signalled. */
  forward(signal: NodeJS.Signals): number {
    let n = 0;
    for (const w of this.watchers) if (w.config.forward_signals.includes(signal)) n += w.signal(signal);
    return n;
  }

  status(): ArbiterStatus {
    const graph = this.#graph;
    return {
      watchers: this.watchers.map((w) => {
        const s = w.status();
        const on = graph?.waitingFor(w.name);
        // held back by its depends_on: not started yet, so `stopped` to the watcher itself
        return on !== undefined && s.phase === 'stopped' ? { ...s, phase: 'waiting', waitingFor: on } : s;
      }),
      sockets: this.sockets.list().map((s) => ({ name: s.name, url: s.url, fd: s.fd, port: s.port })),
      tasks: tasksOf(this.#config).map((t) => this.#tasks.status(t, graph?.waitingFor(t.name))),
    };
  }
}
