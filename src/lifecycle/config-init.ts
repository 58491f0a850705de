/**
 * Config mode: bind the sockets, drop privileges, run the watchers, shut down in order.
 *
 *   binding --sockets bound, privileges dropped--> running
 *   running --SIGTERM/INT/QUIT, or a watcher's exit_on--> draining (drain_delay)
 *   draining --delay over, or a second signal--> stopping (watchers in reverse priority)
 *   stopping --all stopped, or graceful_timeout over (then SIGKILL)--> closing
 *   closing --descendants gone, sockets closed--> done(code)
 *
 * Exit code: the one a watcher's exit_on asked for; otherwise 0 when everything stopped
 * within the grace period, 1 when something had to be killed.
 */
import type { Config, WatcherConfig } from '../config/types.js';
import { EXIT, RingmasterError } from '../errors/codes.js';
import { renderEvent } from '../log/render-events.js';
import { Arbiter } from '../supervisor/arbiter.js';
import { EventBus } from '../supervisor/events.js';
import type { Watcher } from '../supervisor/watcher.js';
import { SocketSet, closeBound, type BoundSocket } from '../supervisor/socket-set.js';
import { assertNever } from '../supervisor/process.js';
import { resolveIds } from '../supervisor/watcher-status.js';
import { socketInode } from '../sys/proc.js';
import type { Controller, InitPhase, InitSnapshot, ReloadStats } from './api.js';
import { createController } from './controller.js';
import { describePlan, isEmpty, planReload } from './reload.js';
import type { InitRuntime } from './runtime.js';
import { dropPrivileges } from './privileges.js';
import { watchConfigFiles, type WatchSpec } from './config-watch.js';
import { actionOf, shutdownSignals } from './signal-policy.js';
import { copyInheritedSignals } from './exec-shim.js';

type Phase =
  | { kind: 'binding' }
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
  version?: string;
}

export class ConfigInit {
  #phase: Phase = { kind: 'binding' };
  readonly #rt: InitRuntime;
  #config: Config;
  #arbiter: Arbiter | undefined;
  #sockets: SocketSet | undefined;
  #exitCode: number | undefined;
  #shutdown: (() => void) | undefined;
  readonly #cwd: string;
  readonly #opts: ConfigInitOptions;
  readonly #startedAt = Date.now();
  readonly #forwarded: Record<string, number> = {};
  readonly #reloads: ReloadStats = { success: 0, failure: 0, lastSuccessAt: Date.now(), lastError: undefined };
  #reloading: Promise<string> | undefined;
  #controller: Controller | undefined;
  readonly #closers: Array<() => Promise<void> | void> = [() => this.#unwatch?.()];
  #unwatch: (() => void) | undefined;
  #watched = '';
  /** why the config on disk last failed to load: the file watch reports it once */
  #watchFailure: string | undefined;
  #starting = true;
  /** what the supervisor says happens; rendered as the log lines */
  readonly #events = new EventBus();

  constructor(runtime: InitRuntime, config: Config, options: ConfigInitOptions = {}) {
    this.#rt = runtime;
    const log = runtime.log;
    this.#events.subscribe((e) => renderEvent(log, e));
    this.#config = config;
    this.#cwd = options.cwd ?? process.cwd();
    this.#opts = options;
  }

  get controller(): Controller | undefined {
    return this.#controller;
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
      sockets: (this.#sockets?.list() ?? []).map((b) => ({
        name: b.name,
        url: b.url,
        family: b.addr.family,
        port: b.port,
        inode: b.config.so_reuseport ? undefined : socketInode(b.fd),
        backlog: b.config.backlog,
        so_reuseport: b.config.so_reuseport,
      })),
      zombiesReaped: this.#rt.reaper.reapedTotal,
      signalsForwarded: { ...this.#forwarded },
      reloads: { ...this.#reloads },
      configFiles: [...this.#config.source.files],
    };
  }

  #publicPhase(): InitPhase {
    const p = this.#phase;
    switch (p.kind) {
      case 'binding':
        return 'starting';
      case 'running':
        return this.#starting ? 'starting' : 'running';
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

  get arbiter(): Arbiter | undefined {
    return this.#arbiter;
  }

  /** Run to the end; resolves with the init's exit code. Throws RingmasterError when start-up fails (nothing is left running). */
  async run(): Promise<number> {
    const log = this.#rt.log;
    const g = this.#config.ringmaster;
    this.#sockets = await SocketSet.bind(this.#config.sockets);
    for (const s of this.#sockets.list()) log.info('socket listening', { socket: s.name, url: s.url, fd: s.fd });
    try {
      // Before dropping privileges, like the sockets: the HTTP port may be below 1024.
      if (g.http_port !== undefined) await this.#startHttp(g.http_host, g.http_port);
      // Before dropping privileges too: the socket's default directory is made for the user dropped to.
      const control = await this.#prepareControl();
      const ids = dropPrivileges(g.user, g.group);
      if (ids) log.info('dropped privileges', { uid: ids.uid, gid: ids.gid });
      if (g.umask !== undefined) process.umask(g.umask);
      this.#arbiter = new Arbiter(this.#config, this.#sockets, {
        log,
        events: this.#events,
        own: (p) => this.#rt.reaper.own(p),
        disown: (p) => this.#rt.reaper.disown(p),
        now: Date.now,
        baseEnv: process.env,
        cwd: this.#cwd,
        copySignals: copyInheritedSignals(log.format),
        requestExit: (code, reason) => {
          log.warn(`shutting down: ${reason}`, { exit_code: code });
          if (this.#exitCode === undefined) this.#exitCode = code;
          this.#beginShutdown();
        },
      });
      this.#controller = createController({
        arbiter: this.#arbiter,
        snapshot: () => this.snapshot(),
        reload: () => this.reload(),
        quit: () => this.#beginShutdown(),
      });
      // After dropping privileges: the socket file belongs to the user who will run ctl.
      const server = await control.start(this.#controller);
      if (server) this.#closers.push(() => server.close());
    } catch (err) {
      await this.#closeEndpoints();
      this.#sockets.close();
      throw err;
    }
    const stopRequested = new Promise<void>((resolve) => (this.#shutdown = resolve));
    // Sockets made through libc and signal listeners are no libuv handles that keep the
    // event loop alive: without this, an init whose workers are all down would just exit.
    const keepAlive = setInterval(() => {}, 1 << 30);
    this.#rt.start((signal) => this.#onSignal(signal));
    this.#phase = { kind: 'running' };
    try {
      await this.#arbiter.start();
      this.#starting = false;
      log.info('all watchers started', { watchers: this.#arbiter.watchers.length });
      this.#watchConfig();
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

  #onSignal(signal: NodeJS.Signals): void {
    const p = this.#phase;
    const log = this.#rt.log;
    switch (p.kind) {
      case 'binding':
      case 'done':
        return;
      case 'running':
        if (SHUTDOWN_SIGNALS.has(signal)) {
          log.info('shutting down', { signal });
          this.#beginShutdown();
          return;
        }
        this.#forward(signal);
        return;
      case 'draining':
        if (SHUTDOWN_SIGNALS.has(signal)) {
          log.info('second shutdown signal: skipping the drain delay', { signal });
          p.skip();
          return;
        }
        this.#forward(signal);
        return;
      case 'stopping':
      case 'closing':
        if (!SHUTDOWN_SIGNALS.has(signal)) this.#forward(signal);
        return;
      default:
        assertNever(p);
    }
  }

  /** A signal that is not a shutdown signal, as the signal policy says (config mode). */
  #forward(signal: NodeJS.Signals): void {
    const log = this.#rt.log;
    const action = actionOf('config', signal);
    switch (action) {
      // As gunicorn's master: HUP reloads, TTIN/TTOU scale a watcher (scale_watcher, else the first) up/down.
      case 'reload':
        if (this.#phase.kind === 'running') void this.reload().catch(() => {});
        return;
      case 'scale-up':
      case 'scale-down': {
        const name = this.#config.ringmaster.scale_watcher;
        const w = name === undefined ? this.#arbiter?.watchers[0] : this.#arbiter?.get(name);
        if (!w || this.#phase.kind !== 'running') return;
        const n = Math.max(0, w.desired + (action === 'scale-up' ? 1 : -1));
        log.info(`${signal}: scaling`, { watcher: w.name, numprocesses: n });
        void w.scale(n);
        return;
      }
      case 'forward':
      case 'forward-if-listed': {
        const n = this.#arbiter?.forward(signal) ?? 0;
        if (n > 0) this.#forwarded[signal] = (this.#forwarded[signal] ?? 0) + n;
        log.debug('forwarded signal', { signal, workers: n });
        return;
      }
      // not routed here: the router listens to none of these, and #onSignal takes the shutdown ones
      case 'shutdown':
      case 'reap':
      case 'default':
      case 'uncatchable':
      case undefined:
        return;
      default:
        assertNever(action);
    }
  }

  /**
   * Re-read the config and apply the difference. One at a time (a second call waits for
   * the first). A config that does not load or validate, or a socket that cannot be bound,
   * changes nothing that runs; the error is logged, counted, and kept for `ctl status`.
   *
   * `fromWatch`: the files named changed on disk. Then nothing is done (nor logged) when
   * the config that loads is the one running (events also come for writes that change
   * nothing, and after a reload that ctl already did), and a broken config is reported
   * once, not at every event.
   */
  reload(fromWatch?: { changed: readonly string[] }): Promise<string> {
    const run = async (): Promise<string> => {
      let next: Config;
      try {
        next = await this.#loadNext();
      } catch (err) {
        // The same broken config, seen again by the watch (after ctl or the watch itself reported it): said once.
        const message = (err as Error).message;
        if (fromWatch && message === this.#watchFailure) return 'unchanged';
        this.#watchFailure = message;
        this.#failed(err);
        throw err;
      }
      this.#watchFailure = undefined;
      if (fromWatch) {
        if (JSON.stringify(next) === JSON.stringify(this.#config)) return 'no change';
        this.#rt.log.info('configuration changed on disk: reloading', { files: fromWatch.changed.join(',') });
      }
      try {
        const summary = await this.#applyReload(next);
        this.#reloads.success++;
        this.#reloads.lastSuccessAt = Date.now();
        this.#reloads.lastError = undefined;
        return summary;
      } catch (err) {
        this.#failed(err);
        throw err;
      } finally {
        this.#rewatch();
      }
    };
    const next = (this.#reloading ?? Promise.resolve('')).catch(() => '').then(run);
    this.#reloading = next;
    return next;
  }

  #failed(err: unknown): void {
    const message = (err as Error).message;
    this.#reloads.failure++;
    this.#reloads.lastError = message;
    this.#rt.log.error(`reload failed, the running configuration is unchanged: ${message}`, { code: (err as { code?: string }).code });
  }

  /** The config on disk now: read, parsed and validated in slices (see loadConfigAsync), then one more turn before the plan. */
  async #loadNext(): Promise<Config> {
    if (!this.#arbiter || !this.#sockets || this.#phase.kind !== 'running') throw new RingmasterError('RM_CONFIG', 'not running: nothing to reload');
    const next = await this.#opts.load?.();
    if (!next) throw new RingmasterError('RM_CONFIG', 'the configuration source is gone');
    await new Promise((resolve) => setImmediate(resolve));
    return next;
  }

  async #applyReload(next: Config): Promise<string> {
    const log = this.#rt.log;
    const arbiter = this.#arbiter;
    const sockets = this.#sockets;
    if (!arbiter || !sockets || this.#phase.kind !== 'running') throw new RingmasterError('RM_CONFIG', 'not running: nothing to reload');
    for (const w of next.warnings) log.warn(w);
    const plan = planReload(this.#config, next);
    const summary = describePlan(plan);
    if (plan.needsRestart.length > 0) log.warn('reload: these options apply only at start; restart ringmaster to change them', { options: plan.needsRestart.join(',') });
    if (isEmpty(plan)) {
      this.#config = next;
      log.info('reload: no change');
      return summary;
    }
    log.info(`reload: ${summary}`);
    // 1. Everything that can fail, before anything changes: new users, new sockets.
    if (plan.socketsBlocked.length > 0) throw new RingmasterError('RM_SOCKET', plan.socketsBlocked.join('; '));
    for (const wc of [...plan.watchersAdded, ...plan.watchersRestarted]) resolveIds(wc);
    const fresh = await SocketSet.bind([...plan.socketsAdded, ...plan.socketsChanged]);
    const added: Watcher[] = [];
    try {
      for (const wc of plan.watchersAdded) added.push(arbiter.add(wc));
      // Last of the steps that can fail; each socket's update is a listen() or a chmod/chown.
      sockets.update(plan.socketsUpdated);
    } catch (err) {
      for (const w of added) void arbiter.remove(w.name);
      fresh.close();
      throw err;
    }
    // 2. Swap the sockets: the old copies of changed ones stay open until their watchers moved.
    const retired: BoundSocket[] = [];
    for (const s of plan.socketsChanged) {
      const old = sockets.take(s.name);
      if (old) retired.push(old);
    }
    sockets.adopt(fresh);
    this.#config = next;
    arbiter.setConfig(next);
    // 3. Watchers: removed ones stop, new ones start, changed ones roll, others scale.
    const kept = new Map<string, WatcherConfig>();
    await Promise.all(plan.watchersRemoved.map((name) => arbiter.remove(name)));
    for (const w of added) if (w.config.autostart) await w.start();
    for (const wc of plan.watchersRestarted) {
      const w = arbiter.get(wc.name);
      if (!w) continue;
      const before = w.config;
      // a rollout that does not finish leaves the watcher on its old config (the watcher's rollback)
      if ((await w.reconfigure(wc)).kind !== 'done') {
        kept.set(wc.name, before);
        log.error('reload: the new workers did not become ready; the watcher keeps its old configuration', { watcher: wc.name });
        continue;
      }
      if (w.desired !== wc.numprocesses) await w.scale(wc.numprocesses);
    }
    for (const { name, numprocesses } of plan.watchersScaled) await arbiter.get(name)?.scale(numprocesses);
    // 4. Sockets nobody uses any more.
    for (const name of plan.socketsRemoved) {
      const b = sockets.take(name);
      if (b) closeBound(b);
    }
    for (const b of retired) closeBound(b, false);
    if (kept.size > 0) {
      // What runs is the new config but for these watchers: the next reload tries them again.
      this.#config = { ...next, watchers: next.watchers.map((w) => kept.get(w.name) ?? w) };
      const names = [...kept.keys()].join(', ');
      log.warn('reload done in part', { summary, kept_old: names });
      return `${summary}; kept the old configuration of ${names} (new workers not ready)`;
    }
    log.info('reload done', { summary });
    return summary;
  }

  /** Reload when a watched config file changes (a ConfigMap swaps its ..data symlink). */
  #watchConfig(): void {
    const specs = this.#opts.watch?.(this.#config) ?? [];
    if (specs.length === 0 || !this.#opts.load) return;
    this.#watched = JSON.stringify(this.#config.source.files);
    this.#unwatch = watchConfigFiles(specs, this.#rt.log, (changed) => {
      if (this.#phase.kind === 'running') void this.reload({ changed }).catch(() => {});
    });
  }

  /** After a reload: watch again if the config's files changed (an include added or gone). */
  #rewatch(): void {
    if (!this.#unwatch) return;
    if (JSON.stringify(this.#config.source.files) === this.#watched) return;
    this.#unwatch();
    this.#unwatch = undefined;
    this.#watchConfig();
  }

  async #startHttp(host: string, port: number): Promise<void> {
    const { startHttpEndpoint } = await import('../http/server.js');
    try {
      const ep = await startHttpEndpoint({ host, port, snapshot: () => this.snapshot(), log: this.#rt.log });
      this.#closers.push(() => ep.close());
    } catch (err) {
      // An optional endpoint: the workers are what PID 1 is for (a liveness probe on the
      // port says the rest).
      this.#rt.log.warn(`http endpoint not available, running without /livez, /readyz and /metrics: ${(err as Error).message}`, { host, port });
    }
  }

  async #prepareControl() {
    const { prepareControl } = await import('../control/endpoint.js');
    const g = this.#config.ringmaster;
    return prepareControl({ env: process.env, configured: g.control_socket, user: g.user, group: g.group, cwd: this.#cwd, log: this.#rt.log });
  }

  async #closeEndpoints(): Promise<void> {
    for (const c of this.#closers.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // closing anyway
      }
    }
  }

  #beginShutdown(): void {
    if (this.#phase.kind !== 'running' && this.#phase.kind !== 'binding') return;
    this.#shutdown?.();
  }

  async #stop(): Promise<number> {
    const log = this.#rt.log;
    const g = this.#config.ringmaster;
    const arbiter = this.#arbiter as Arbiter;
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
    const timer = setTimeout(() => {
      killed = true;
      log.warn('graceful_timeout over: killing what is left', { seconds: g.graceful_timeout });
      arbiter.destroy();
      this.#rt.signalDescendants('SIGKILL');
    }, g.graceful_timeout * 1000);
    await arbiter.stop();
    clearTimeout(timer);
    this.#phase = { kind: 'closing' };
    if ((await this.#rt.terminateDescendants(Math.max(deadline, Date.now()))) > 0) killed = true;
    this.#sockets?.close();
    await this.#closeEndpoints();
    this.#phase = { kind: 'done' };
    this.#rt.dispose();
    const code = this.#exitCode ?? (killed ? 1 : 0);
    log.info('stopped', { exit_code: code });
    return code;
  }
}
