/**
 * Fakes for driving a Watcher without a kernel: a clock whose timers fire when the test
 * advances it, processes the test makes exit, and notify channels it makes speak.
 */
import { WATCHER_DEFAULTS } from '../../src/config/defaults.js';
import type { WatcherConfig } from '../../src/config/types.js';
import type { Logger } from '../../src/log/logger.js';
import type { NotifyEndpoint, Spawner, Timers, WorkerProcess, WorkerSys } from '../../src/supervisor/edges.js';
import { EventBus, type EventType, type RingmasterEvent } from '../../src/supervisor/events.js';
import type { NotifyMessage } from '../../src/supervisor/notify.js';
import type { ExitListener, ExitOutcome, ProcessState, SpawnSpec } from '../../src/supervisor/process.js';
import { Watcher, type WatcherHost } from '../../src/supervisor/watcher.js';

/** Lets promise chains and setImmediate callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  unref: boolean;
}

export class FakeClock implements Timers {
  time = 1_000_000;
  #serial = 0;
  readonly #timers = new Map<number, Timer>();

  now = (): number => this.time;

  setTimeout(fn: () => void, ms: number, unref = false): unknown {
    const id = ++this.#serial;
    this.#timers.set(id, { id, at: this.time + ms, fn, unref });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** timers that would keep a real event loop alive (the notify poller's are unref'd) */
  get pending(): number {
    return [...this.#timers.values()].filter((t) => !t.unref).length;
  }

  /** Move the time on by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const next = [...this.#timers.values()].filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.#timers.delete(next.id);
      this.time = next.at;
      next.fn();
      await settle(2);
    }
    this.time = end;
    await settle();
  }
}

export class FakeProcess implements WorkerProcess {
  state: ProcessState = { kind: 'idle' };
  child = undefined;
  /** the signals stop() was asked to send */
  readonly stops: string[] = [];
  readonly #onExit: ExitListener;
  readonly #pid: number;
  readonly #failWith: string | undefined;
  readonly #waiters: Array<(o: ExitOutcome) => void> = [];

  readonly spec: SpawnSpec;

  constructor(spec: SpawnSpec, pid: number, onExit: ExitListener, failWith: string | undefined) {
    this.spec = spec;
    this.#pid = pid;
    this.#onExit = onExit;
    this.#failWith = failWith;
  }

  get pid(): number | undefined {
    return this.state.kind === 'idle' ? undefined : this.state.pid;
  }

  start(): void {
    const code = this.#failWith;
    if (code !== undefined) {
      setImmediate(() => this.#finish({ kind: 'spawn-failed', code, message: `spawn app ${code}` }, undefined));
      return;
    }
    this.state = { kind: 'running', pid: this.#pid, startedAt: 0 };
  }

  signal(): boolean {
    return this.state.kind === 'running';
  }

  /** As a well-behaved worker: it exits on the stop signal (on the next tick). */
  stop(signal: NodeJS.Signals): Promise<ExitOutcome> {
    if (this.state.kind === 'running') {
      this.stops.push(signal);
      this.state = { kind: 'stopping', pid: this.#pid, startedAt: 0, signal };
      setImmediate(() => this.exit({ kind: 'signaled', signal, number: 15 }));
    }
    return this.waitExit();
  }

  destroy(): Promise<ExitOutcome> {
    if (this.state.kind === 'running' || this.state.kind === 'stopping') setImmediate(() => this.exit({ kind: 'signaled', signal: 'SIGKILL', number: 9 }));
    return this.waitExit();
  }

  leftovers(): undefined {
    return undefined;
  }

  /** The process exits now (a crash, or the end of a stop). */
  exit(outcome: ExitOutcome = { kind: 'exited', code: 1 }): void {
    if (this.state.kind === 'running' || this.state.kind === 'stopping') this.#finish(outcome, this.#pid);
  }

  waitExit(): Promise<ExitOutcome> {
    if (this.state.kind === 'exited') return Promise.resolve(this.state.outcome);
    if (this.state.kind === 'idle') return Promise.resolve({ kind: 'exited', code: 0 });
    return new Promise((r) => this.#waiters.push(r));
  }

  #finish(outcome: ExitOutcome, pid: number | undefined): void {
    this.state = { kind: 'exited', outcome, pid };
    for (const w of this.#waiters.splice(0)) w(outcome);
    this.#onExit(outcome, this as never);
  }
}

export class FakeNotify implements NotifyEndpoint {
  readonly queue: Array<Partial<NotifyMessage>> = [];
  closed = false;
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  drain() {
    const messages = this.queue.splice(0).map((m) => ({ ready: false, stopping: false, watchdog: false, status: undefined, mainPid: undefined, ...m }));
    return { messages, rejected: 0, report: undefined };
  }
  close(): void {
    this.closed = true;
  }
}

export const quietLog: Logger = { verbosity: 0, format: 'text', enabled: () => false, error() {}, warn() {}, info() {}, debug() {}, trace() {} };

export function watcherConfig(o: Partial<WatcherConfig> = {}): WatcherConfig {
  return { ...WATCHER_DEFAULTS, name: 'web', argv: ['app'], cmd: 'app', sockets: [], env: {}, rlimits: {}, backoff_jitter: 0, ...o };
}

/** A watcher on fakes, and what it did. */
export function fakeWatcher(config: Partial<WatcherConfig> = {}, host: Partial<WatcherHost> = {}) {
  const clock = new FakeClock();
  const procs: FakeProcess[] = [];
  const notifies = new Map<number, FakeNotify>();
  const events: RingmasterEvent[] = [];
  const bus = new EventBus(clock.now);
  bus.subscribe((e) => events.push(e));
  /** the next spawns fail with this code */
  const spawning: { failWith: string | undefined } = { failWith: undefined };
  const spawner: Spawner = (spec, _host, onExit) => {
    const p = new FakeProcess(spec, 100 + procs.length, onExit, spawning.failWith);
    procs.push(p);
    return p;
  };
  let channels = 0;
  const sys: WorkerSys = {
    hardRlimit: () => null,
    setRlimit: () => {},
    closeSockets: () => {},
    openNotify: (label) => {
      const n = new FakeNotify(`@fake/${label}/${++channels}`);
      notifies.set(100 + procs.length, n);
      return n;
    },
  };
  const noSockets = { get: () => undefined, fdForWorker: () => ({ fd: -1, own: false }) };
  const watcher = new Watcher(watcherConfig(config), {
    log: quietLog,
    events: bus,
    sockets: noSockets,
    own() {},
    disown() {},
    now: clock.now,
    baseEnv: {},
    cwd: '/',
    timers: clock,
    spawner,
    sys,
    random: () => 0.5,
    ...host,
  });
  const of = <T extends EventType>(type: T) => events.filter((e): e is Extract<RingmasterEvent, { type: T }> => e.type === type);
  /** the live process of `wid` (the newest) */
  const live = (wid: number): FakeProcess => {
    const p = [...procs].reverse().find((x) => x.spec.env.RINGMASTER_WID === String(wid) && x.state.kind === 'running');
    if (!p) throw new Error(`no running worker ${wid}`);
    return p;
  };
  return { watcher, clock, procs, notifies, events, of, live, spawning, spawner, sys };
}
