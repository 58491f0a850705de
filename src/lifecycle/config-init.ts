/**
 * Config mode: bind the sockets, drop privileges, run the watchers, shut down in order.
 *
 *   binding  --sockets bound, endpoints up, privileges dropped--> starting
 *   starting --start tasks done, every watcher started (by depends_on)--> running
 *   starting --a start task failed after its retries--> stopping (exit: the task's status)
 *   starting, running --SIGTERM/INT/QUIT, a watcher's exit_on, ctl quit--> draining (drain_delay)
 *   draining --delay over, or a second signal--> stopping (watchers in reverse priority)
 *   stopping --watchers stopped, then the stop tasks run; or graceful_timeout over (then SIGKILL)--> closing
 *   closing  --descendants gone, sockets and endpoints closed--> done(code)
 *
 * A shutdown asked for while starting begins at once: the start (a long migration task, a
 * watcher waiting for another's readiness) is cut short. Reloads (HUP, ctl,
 * a config file that changed) run while starting or running, one at a time (reloads.ts);
 * the arbiter applies them (supervisor/apply.ts).
 *
 * Exit code: the status of a start task that failed, or the one a watcher's exit_on asked
 * for; otherwise 0 when everything stopped within the grace period, 1 when something had
 * to be killed.
 *
 * With a main command (main-command.ts, `ringmaster -c FILE -- CMD`): it starts once the
 * start succeeded and every autostart watcher is ready, and its exit asks for the shutdown
 * with its status as the exit code (unless an exit_on asked first). Every signal reaches it
 * as in command mode, and the watchers as in config mode. At a shutdown it is stopped first
 * (SIGTERM unless a shutdown signal reached it, SIGKILL after graceful_timeout), during
 * `draining`; then the drain delay and the watchers. A watcher FATAL before it started, or a
 * start that failed, ends ringmaster non-zero without running it.
 *
 * A config with tasks has execa (task-runner.ts) imported before the privilege drop.
 */
import type { Config } from '../config/types.js';
import { EXIT, RingmasterError } from '../errors/codes.js';
import { Arbiter, fatalExitCode, type StartOutcome } from '../supervisor/arbiter.js';
import { loadTaskRunner } from '../supervisor/task-runner.js';
import { SocketSet } from '../supervisor/socket-set.js';
import { EventBus, type EventInput } from '../supervisor/events.js';
import { renderEvent } from '../log/render-events.js';
import { rawWaitStatus, type WaitStatus } from '../sys/libc.js';
import { waitFields } from './reaper.js';
import { assertNever } from '../supervisor/process.js';
import { socketInode } from '../sys/proc.js';
import { oomKillCounter } from '../sys/oom.js';
import type { Controller, InitEndpoint, InitPhase, InitSnapshot } from './api.js';
import { createController } from './controller.js';
import type { InitRuntime } from './runtime.js';
import { dropPrivileges } from './privileges.js';
import type { WatchSpec } from './config-watch.js';
import { Reloads, type ReloadReport } from './reloads.js';
import { shutdownSignals } from './signal-policy.js';
import { actOnSignal } from './signal-actions.js';
import { Endpoints } from './endpoints.js';
import { MainCommand, type MainCommandOptions, type MainEnd } from './main-command.js';
import { copyInheritedSignals } from './exec-shim.js';
import { ScheduledTasks } from './scheduled-tasks.js';
import type { TaskRunner } from '../supervisor/task-run.js';
import type { ScheduleStatus } from '../supervisor/schedule.js';
import type { TaskStatus } from '../supervisor/task-tally.js';

type Phase =
  | { kind: 'binding' }
  | { kind: 'starting' }
  | { kind: 'running' }
  | { kind: 'draining'; skip: () => void }
  | { kind: 'stopping' }
  | { kind: 'closing' }
  | { kind: 'done' };

const SHUTDOWN_SIGNALS = shutdownSignals('config');

export interface ConfigInitOptions {
  /** the invocation's directory: the workers' default working_dir (the init itself moves to /) */
  cwd?: string;
  /** re-read the config from where it came from (for reloads), without blocking the event loop for long; null when it is gone */
  load?: () => Promise<Config | null>;
  /** what to watch for changes to a config (a ConfigMap mount changes by swapping its ..data symlink) */
  watch?: (config: Config) => WatchSpec[];
  /** the HTTP endpoint, the control socket...: started in this order, closed in the reverse. @default [] */
  endpoints?: readonly InitEndpoint[];
  version?: string;
  /** the main command (`ringmaster -c FILE -- CMD`), run once the watchers are ready; see MainCommand */
  main?: MainCommandOptions;
  /** the task runner for scheduled tasks (a test may give its own). @default loadTaskRunner (execa) */
  taskRunner?: () => Promise<TaskRunner>;
}

export class ConfigInit {
  #phase: Phase = { kind: 'binding' };
  readonly #rt: InitRuntime;
  /** the config it started with; the arbiter holds the one in force once it exists */
  readonly #initial: Config;
  #arbiter: Arbiter | undefined;
  #sockets: SocketSet | undefined;
  #exitCode: number | undefined;
  #shutdown: (() => void) | undefined;
  readonly #cwd: string;
  readonly #opts: ConfigInitOptions;
  readonly #startedAt = Date.now();
  readonly #forwarded: Record<string, number> = {};
  readonly #reloads: Reloads;
  readonly #endpoints: Endpoints;
  /** what the supervisor and this init say happened; the log is one listener, `ctl events` others */
  readonly #events = new EventBus();
  #unreap: (() => void) | undefined;
  #main: MainCommand | undefined;
  readonly #scheduled: ScheduledTasks;
  /**
   * The environment the workers and tasks start from (copy_env), read once. process.env is a
   * view of the C environment: each spread of it calls into C++ for every variable and makes
   * every string anew (~120 us and a few KB per spawn with 40 variables, measured), and a
   * crash-looping watcher spawns it thousands of times. Nothing of ringmaster's changes its
   * own environment once it runs.
   */
  readonly #baseEnv: NodeJS.ProcessEnv = { ...process.env };

  constructor(runtime: InitRuntime, config: Config, options: ConfigInitOptions = {}) {
    this.#rt = runtime;
    this.#events.subscribe((e) => renderEvent(runtime.log, e));
    this.#initial = config;
    this.#cwd = options.cwd ?? process.cwd();
    this.#opts = options;
    this.#endpoints = new Endpoints(options.endpoints ?? [], runtime.log);
    this.#reloads = new Reloads({
      log: runtime.log,
      load: options.load,
      watch: options.watch,
      current: () => this.#config,
      arbiter: () => (this.#serving() ? this.#arbiter : undefined),
      report: (r) => this.#reportReload(r),
    });
    this.#scheduled = new ScheduledTasks({
      loadRunner: options.taskRunner ?? loadTaskRunner,
      emit: (e) => this.#events.emit(e),
      ctx: { baseEnv: this.#baseEnv, cwd: this.#cwd, onSpawn: (p) => runtime.reaper.own(p), onExit: (p) => runtime.reaper.disown(p) },
      log: runtime.log,
    });
  }

  get #config(): Config {
    return this.#arbiter?.config ?? this.#initial;
  }

  /** The init's event bus (subscribe to it; the core emits on it). */
  get events(): EventBus {
    return this.#events;
  }

  /** The scheduled tasks: next run, running or not, runs, skipped ticks, last result (for status and metrics). */
  scheduleStatus(): ScheduleStatus[] {
    return this.#scheduled.status();
  }

  /** Plain data for /metrics, /readyz and `ctl status`. */
  snapshot(): InitSnapshot {
    const status = this.#arbiter?.status();
    return {
      pid: process.pid,
      version: this.#opts.version ?? 'unknown',
      phase: this.#publicPhase(),
      startedAt: this.#startedAt,
      watchers: status?.watchers ?? [],
      tasks: withNextRuns(status?.tasks ?? [], this.#scheduled.status()),
      sockets: (this.#sockets?.list() ?? []).map((b) => ({
        name: b.name,
        url: b.url,
        family: b.addr.family,
        port: b.port,
        inode: b.config.so_reuseport ? undefined : socketInode(b.fd),
        backlog: b.config.backlog,
        so_reuseport: b.config.so_reuseport,
        fd: b.config.so_reuseport ? undefined : b.fd,
      })),
      zombiesReaped: this.#rt.reaper.reapedTotal,
      signalsForwarded: { ...this.#forwarded },
      reloads: this.#reloads.stats,
      configFiles: [...this.#config.source.files],
      ...(this.#main ? { main: this.#main.status() } : {}),
    };
  }

  #publicPhase(): InitPhase {
    const p = this.#phase;
    switch (p.kind) {
      case 'binding':
        return 'starting';
      case 'starting':
      case 'running':
      case 'draining':
      case 'stopping':
      case 'closing':
      case 'done':
        return p.kind;
      default:
        return assertNever(p);
    }
  }

  get phase(): Phase['kind'] {
    return this.#phase.kind;
  }

  /** Run to the end; resolves with the init's exit code. Throws RingmasterError when start-up fails (nothing is left running). */
  async run(): Promise<number> {
    const log = this.#rt.log;
    const g = this.#config.ringmaster;
    const snapshot = (): InitSnapshot => this.snapshot();
    this.#sockets = await SocketSet.bind(this.#config.sockets);
    for (const s of this.#sockets.list()) log.info('socket listening', { socket: s.name, url: s.url, fd: s.fd });
    // With a privilege drop, the endpoints' modules (HTTP, metrics, control) load before it, as
    // everything does: the install may be unreadable after it. Without one (the common case
    // in a pod: runAsUser), they load once the first workers are spawned: a worker does not
    // wait for what only the probes and `ctl` need (BENCHMARKS.md, "Start-up").
    const drops = g.user !== undefined || g.group !== undefined;
    let controller: Controller;
    try {
      // Before dropping privileges, like the sockets: a port below 1024, a directory for the user dropped to.
      if (drops) await this.#endpointsBeforeDrop();
      // execa (~200 ms) only for a config with tasks, and before the drop: the install may be unreadable after it
      if ((this.#config.tasks ?? []).length > 0) await loadTaskRunner().catch((err: unknown) => {
        throw new RingmasterError('RM_INTERNAL', `the config has tasks but execa cannot be loaded: ${(err as Error).message}`);
      });
      await this.#scheduled.preload(this.#config);
      const ids = dropPrivileges(g.user, g.group);
      if (ids) log.info('dropped privileges', { uid: ids.uid, gid: ids.gid });
      if (g.umask !== undefined) process.umask(g.umask);
      // the OOM kills of the cgroup the workers run in so far: a worker's SIGKILL is `oom` when the count rises
      const oom = oomKillCounter();
      if (oom) log.debug('counting OOM kills', { file: oom.file.path, cgroup: `v${oom.file.version}` });
      const arbiter = new Arbiter(this.#config, this.#sockets, {
        log,
        events: this.#events,
        own: (p) => this.#rt.reaper.own(p),
        disown: (p) => this.#rt.reaper.disown(p),
        now: Date.now,
        baseEnv: this.#baseEnv,
        cwd: this.#cwd,
        copySignals: copyInheritedSignals(log.format),
        taskRunner: loadTaskRunner,
        oom: oom && { killedByOom: () => oom.counter.claim() },
        requestExit: (code, reason) => {
          log.warn(`shutting down: ${reason}`, { exit_code: code });
          if (this.#exitCode === undefined) this.#exitCode = code;
          this.#beginShutdown();
        },
      });
      this.#arbiter = arbiter;
      controller = createController({ arbiter, events: this.#events, snapshot, reload: () => this.reload(), quit: () => this.#beginShutdown() });
      // After dropping privileges: the control socket's file belongs to the user who will run ctl.
      if (drops) await this.#endpointsAfterDrop(controller);
    } catch (err) {
      await this.#endpoints.close();
      this.#sockets.close();
      throw err;
    }
    const stopRequested = new Promise<void>((resolve) => (this.#shutdown = resolve));
    // Sockets made through libc and signal listeners are no libuv handles that keep the
    // event loop alive: without this, an init whose workers are all down would just exit.
    const keepAlive = setInterval(() => {}, 1 << 30);
    // The reaper reaps only what no watcher owns: every pid it reports is an orphan.
    const unreap = this.#rt.reaper.onReap((pid, status) => this.#events.emit(orphanReaped(pid, status)));
    this.#unreap = () => void unreap();
    this.#rt.start((signal) => this.#onSignal(signal));
    this.#phase = { kind: 'starting' };
    const main = this.#makeMain(this.#arbiter);
    try {
      const aborted: StartOutcome = { kind: 'aborted' };
      const starting = this.#arbiter.start();
      if (!drops) await this.#lateEndpoints(controller);
      const outcome = await Promise.race([starting, stopRequested.then(() => aborted)]);
      this.#started(outcome, main);
    } catch (err) {
      // A bug of ours, or an OS failure no watcher turns into a failed spawn: the workers
      // already running are stopped in order, not orphaned by an init that just exits.
      const e = err as Error;
      this.#exitCode = err instanceof RingmasterError ? err.exitCode : EXIT.SOFTWARE;
      log.error(`starting the watchers failed: ${e.message}; shutting down`, { stack: e.stack });
      this.#beginShutdown();
    }
    await stopRequested;
    try {
      return await this.#stop();
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * The endpoints of an init that drops no privileges, started once the first workers are
   * spawned (the arbiter spawns them in the microtasks of its start: one turn of the event
   * loop lets them run). One that comes up after the shutdown began is closed at once (Endpoints).
   */
  async #lateEndpoints(controller: Controller): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.#endpointsBeforeDrop();
    await this.#endpointsAfterDrop(controller);
  }

  /** Every endpoint's step of the sockets bound, before any privilege drop (see InitEndpoint). */
  #endpointsBeforeDrop(): Promise<void> {
    return this.#endpoints.start((e) => e.beforeDrop?.({ snapshot: () => this.snapshot() }));
  }

  /** Every endpoint's step of the controller made, after any privilege drop. */
  #endpointsAfterDrop(controller: Controller): Promise<void> {
    return this.#endpoints.start((e) => e.afterDrop?.({ snapshot: () => this.snapshot(), controller }));
  }

  /** How the start ended: running, or a shutdown with a failed start task's status. */
  #started(outcome: StartOutcome, main: MainCommand | undefined): void {
    const log = this.#rt.log;
    switch (outcome.kind) {
      case 'started':
        if (this.#phase.kind !== 'starting') return;
        this.#phase = { kind: 'running' };
        log.info('all watchers started', { watchers: this.#arbiter?.watchers.length ?? 0, tasks: (this.#config.tasks ?? []).length });
        this.#reloads.watch();
        void this.#scheduled.start(this.#config);
        if (main) void main.run().then((end) => this.#mainEnded(end));
        return;
      case 'failed':
        // the task.finished event logged the task's last lines; what started is stopped in order;
        // the main command never runs
        main?.cancel(`task ${outcome.task} failed`);
        log.error(`shutting down: ${outcome.message}`, { task: outcome.task, exit_code: outcome.status });
        if (this.#exitCode === undefined) this.#exitCode = outcome.status;
        this.#beginShutdown();
        return;
      case 'aborted':
        main?.cancel('shut down first');
        return;
      default:
        assertNever(outcome);
    }
  }

  #onSignal(signal: NodeJS.Signals): void {
    const p = this.#phase;
    const log = this.#rt.log;
    if (p.kind === 'binding' || p.kind === 'done') return;
    // the main command gets every signal as in command mode; the watchers, as config mode says below
    if (this.#main?.dropHandoff(signal)) return;
    this.#main?.forward(signal);
    switch (p.kind) {
      case 'starting':
      case 'running':
        if (!SHUTDOWN_SIGNALS.has(signal)) return this.#forward(signal);
        log.info('shutting down', { signal });
        return this.#beginShutdown();
      case 'draining':
        if (!SHUTDOWN_SIGNALS.has(signal)) return this.#forward(signal);
        log.info('second shutdown signal: skipping the drain delay', { signal });
        return p.skip();
      case 'stopping':
      case 'closing':
        if (!SHUTDOWN_SIGNALS.has(signal)) this.#forward(signal);
        return;
      default:
        assertNever(p);
    }
  }

  /** Starting or running: the watchers take commands (reload, scale). */
  #serving(): boolean {
    return this.#phase.kind === 'starting' || this.#phase.kind === 'running';
  }

  #forward(signal: NodeJS.Signals): void {
    actOnSignal(signal, {
      log: this.#rt.log,
      arbiter: this.#arbiter,
      serving: this.#serving(),
      reload: () => void this.reload().catch(() => {}),
      forwarded: this.#forwarded,
      events: this.#events,
    });
  }

  /**
   * Re-read the config and apply the difference (see Reloads.reload). A config that does
   * not load or validate, or a reload the arbiter refuses (a socket that cannot be bound...),
   * changes nothing that runs; the error is logged, counted, and kept for `ctl status`.
   */
  reload(): Promise<string> {
    return this.#reloads.reload();
  }

  /** Say how a reload ended (Reloads counts it). */
  #reportReload(r: ReloadReport): void {
    if (r.ok) {
      this.#events.emit({ type: 'reload.result', ...r });
      void this.#scheduled.reconfigure(this.#config);
    }
    else this.#events.emit({ type: 'reload.result', ok: false, error: (r.error as Error).message, code: (r.error as { code?: string }).code });
  }

  /** The main command, made once the arbiter exists (it reads the watchers and the sockets); undefined without one. */
  #makeMain(arbiter: Arbiter): MainCommand | undefined {
    const o = this.#opts.main;
    if (!o) return undefined;
    this.#main = new MainCommand(o, {
      log: this.#rt.log,
      reaper: this.#rt.reaper,
      events: this.#events,
      watchers: () => arbiter.watchers.map((w) => ({ autostart: w.config.autostart, status: w.status() })),
      sockets: () => this.#sockets?.list() ?? [],
    });
    return this.#main;
  }

  /** The main command ended (or will never run): ringmaster shuts down with its status. */
  #mainEnded(end: MainEnd): void {
    const log = this.#rt.log;
    switch (end.kind) {
      case 'exited':
        log.info('main command exited: shutting down', { exit_code: end.code });
        if (this.#exitCode === undefined) this.#exitCode = end.code;
        return this.#beginShutdown();
      case 'fatal': {
        const w = this.#arbiter?.get(end.watcher);
        const code = w ? fatalExitCode(w) : EXIT.SOFTWARE;
        log.error(`watcher ${end.watcher} is FATAL before the main command started: not starting it; shutting down`, { reason: end.reason, exit_code: code });
        if (this.#exitCode === undefined) this.#exitCode = code;
        return this.#beginShutdown();
      }
      case 'error':
        log.error(`the main command could not be started: ${end.message}; shutting down`, { exit_code: EXIT.SOFTWARE });
        if (this.#exitCode === undefined) this.#exitCode = EXIT.SOFTWARE;
        return this.#beginShutdown();
      case 'cancelled':
        return;
      default:
        return assertNever(end);
    }
  }

  #beginShutdown(): void {
    if (!this.#serving() && this.#phase.kind !== 'binding') return;
    this.#shutdown?.();
  }

  async #stop(): Promise<number> {
    const log = this.#rt.log;
    const g = this.#config.ringmaster;
    const arbiter = this.#arbiter as Arbiter;
    // first: no scheduled run starts during the shutdown; one going is stopped alongside the watchers
    const scheduledStopped = this.#scheduled.stop();
    if (this.#main) {
      // the main command goes first; its sidecars serve it until it has exited
      this.#phase = { kind: 'draining', skip: () => {} };
      await this.#main.stop(Date.now() + g.graceful_timeout * 1000);
      const m = this.#main.status();
      if (m.state === 'exited' && this.#exitCode === undefined) this.#exitCode = m.exitCode;
    }
    if (g.drain_delay > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, g.drain_delay * 1000);
        this.#phase = { kind: 'draining', skip: () => (clearTimeout(t), resolve()) };
        log.info('draining before stopping the watchers', { seconds: g.drain_delay });
      });
    }
    this.#phase = { kind: 'stopping' };
    const deadline = Date.now() + g.graceful_timeout * 1000;
    let killed = false;
    // the stop tasks run within the same grace period, once every watcher has stopped
    const stopTasks = new AbortController();
    const timer = setTimeout(() => {
      killed = true;
      log.warn('graceful_timeout over: killing what is left', { seconds: g.graceful_timeout });
      stopTasks.abort();
      arbiter.destroy();
      this.#rt.signalDescendants('SIGKILL');
    }, g.graceful_timeout * 1000);
    await arbiter.stop();
    await scheduledStopped;
    // the `when: stop` tasks: after every watcher, the main command and the scheduled runs have stopped
    await arbiter.runStopTasks(stopTasks.signal);
    clearTimeout(timer);
    this.#phase = { kind: 'closing' };
    if ((await this.#rt.terminateDescendants(Math.max(deadline, Date.now()))) > 0) killed = true;
    this.#sockets?.close();
    this.#reloads.close();
    await this.#endpoints.close();
    this.#unreap?.();
    this.#phase = { kind: 'done' };
    this.#rt.dispose();
    const code = this.#exitCode ?? (killed ? 1 : 0);
    log.info('stopped', { exit_code: code });
    return code;
  }
}

/** A reaped orphan as an event: `status` as wait(2) encodes it, `code` or `signal` decoded. */
function orphanReaped(pid: number, status: WaitStatus): EventInput {
  return { type: 'orphan.reaped', pid, status: rawWaitStatus(status), ...waitFields(status) };
}

/** The tasks' status with each scheduled task's next run, from its scheduler. */
function withNextRuns(tasks: readonly TaskStatus[], schedules: readonly ScheduleStatus[]): TaskStatus[] {
  if (schedules.length === 0) return [...tasks];
  const next = new Map(schedules.map((s) => [s.task.toLowerCase(), s.next]));
  return tasks.map((t) => {
    const at = next.get(t.name.toLowerCase());
    return at === undefined ? t : { ...t, nextRunAt: at };
  });
}
