/**
 * The start of a config by its dependency graph (`depends_on`): start tasks and autostart
 * watchers, each started once everything it depends on is met: a watcher once all its
 * desired workers are ready, a task once it exited 0. Among the nodes that may start at
 * the same time, priority decides (higher first, then the name); watcher starts stay
 * `warmup_delay` apart; what depends on nothing starts at once, beside the tasks.
 *
 * One node's life:
 *
 *   waiting --every dependency met--> starting --watcher spawned--> running --all ready--> ready
 *      |                                 |
 *      |                                 +--task exited 0--> succeeded
 *      |                                 +--task failed after its retries--> failed
 *      +--held: a watcher with autostart false is never started here (ctl start does it)
 *
 * (`running` and `ready` are read from the watcher itself, not stored.) A failed start
 * task ends the start: nothing more is started, and start() says `failed` with the task,
 * its status and why; the caller stops what runs. Once start() has resolved, a start task
 * added by a reload that fails holds back only what depends on it. A dependency on a watcher that is not
 * started (autostart false), has no workers (numprocesses 0) or is FATAL cannot be met
 * by itself: its dependants wait until it is (the graph keeps watching once start() has
 * resolved), and start() resolves `started` once nothing else can start by itself.
 *
 * While a node waits, `deps.waiting` says what for (again whenever that changes, `on: []`
 * once it may go). A reload that adds watchers or start tasks adds them here (add()): an
 * added start task runs once, before what depends on it starts.
 */
import type { TaskConfig } from '../config/types.js';
import { realTimers, sleep, type Timers } from './edges.js';
import type { EventBus } from './events.js';
import type { StartOutcome } from './arbiter.js';
import { assertNever } from './process.js';
import { runAttempts, type TaskAttemptsHost } from './task-attempts.js';
import { readyNeeded, type WatcherStatus, type WatcherPhase } from './watcher-status.js';

/** What the graph uses of a watcher (Watcher has it). */
export interface GraphWatcher {
  readonly name: string;
  readonly config: { readonly autostart: boolean; readonly depends_on: readonly string[]; readonly priority: number };
  readonly phase: WatcherPhase;
  status(): Pick<WatcherStatus, 'desired' | 'ready' | 'completed'>;
  start(): Promise<void>;
}

export interface GraphHost extends Omit<TaskAttemptsHost, 'events' | 'timers'> {
  events: EventBus;
  timers?: Timers;
  /** seconds between two watcher starts (the config in force's warmup_delay) */
  warmupDelay(): number;
}

/** A node's stored state (see the diagram). */
export type NodeState =
  /** `on`: the dependencies not met yet (undefined until first looked at) */
  | { kind: 'waiting'; on: string[] | undefined }
  | { kind: 'held' }
  | { kind: 'starting' }
  | { kind: 'started' }
  | { kind: 'succeeded' }
  | { kind: 'failed'; status: number; message: string };

type Node =
  | { kind: 'watcher'; name: string; watcher: GraphWatcher; state: NodeState }
  | { kind: 'task'; name: string; task: TaskConfig; state: NodeState };

/** A node's depends_on and priority, from the config in force (a reload may change them while it waits). */
function depsOf(n: Node): readonly string[] {
  return n.kind === 'watcher' ? n.watcher.config.depends_on : n.task.depends_on;
}

function priorityOf(n: Node): number {
  return n.kind === 'watcher' ? n.watcher.config.priority : n.task.priority;
}

/** What a dependency is, from a dependant's point of view. */
type DepState = 'met' | 'pending' | 'blocked';

/** Is `t` a start task (run by the graph), as opposed to a stop or scheduled one? */
export function isStartTask(t: TaskConfig): boolean {
  return t.when === 'start' && t.schedule === undefined;
}

/**
 * The start order of named items by their depends_on (dependencies first; among those
 * free at once, `priority` descending, then the order given). A cycle (the config refuses
 * them) or an unknown name does not hold anything back here.
 */
export function graphOrder<T extends { name: string; depends_on: readonly string[]; priority: number }>(items: readonly T[]): T[] {
  const key = (s: string): string => s.toLowerCase();
  const left = new Map(items.map((x) => [key(x.name), x]));
  const out: T[] = [];
  while (left.size > 0) {
    const free = [...left.values()].filter((x) => x.depends_on.every((d) => !left.has(key(d)) || key(d) === key(x.name)));
    const pick = free.length > 0 ? free : [...left.values()];
    pick.sort((a, b) => b.priority - a.priority || items.indexOf(a) - items.indexOf(b));
    const next = pick[0] as T;
    out.push(next);
    left.delete(key(next.name));
  }
  return out;
}

export class StartGraph {
  readonly #host: GraphHost;
  readonly #nodes = new Map<string, Node>();
  readonly #signal: AbortSignal;
  #failure: Extract<StartOutcome, { kind: 'failed' }> | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #watcherStarts = 0;
  #settled: ((o: StartOutcome) => void) | undefined;
  readonly #outcome: Promise<StartOutcome>;
  #unsubscribe: (() => void) | undefined;
  /** the start tasks running now (close() waits for them) */
  readonly #inflight = new Set<Promise<void>>();

  constructor(host: GraphHost, signal: AbortSignal) {
    this.#host = host;
    this.#signal = signal;
    this.#outcome = new Promise((resolve) => (this.#settled = resolve));
    signal.addEventListener('abort', () => this.#poke(), { once: true });
  }

  /** Add watchers and start tasks (at start, or added by a reload); a started graph takes them on at once. */
  add(watchers: readonly GraphWatcher[], tasks: readonly TaskConfig[]): void {
    for (const w of watchers) {
      const state: NodeState = w.config.autostart ? { kind: 'waiting', on: undefined } : { kind: 'held' };
      this.#nodes.set(w.name.toLowerCase(), { kind: 'watcher', name: w.name, watcher: w, state });
    }
    for (const t of tasks) {
      if (!isStartTask(t) || this.#nodes.has(t.name.toLowerCase())) continue;
      this.#nodes.set(t.name.toLowerCase(), { kind: 'task', name: t.name, task: t, state: { kind: 'waiting', on: undefined } });
    }
    if (this.#unsubscribe) this.#ensureLoop();
    this.#poke();
  }

  /** A reload's config of known start tasks: one that still waits runs with it (one that ran is not run again). */
  update(tasks: readonly TaskConfig[]): void {
    for (const t of tasks) {
      const n = this.#nodes.get(t.name.toLowerCase());
      if (n?.kind === 'task' && n.state.kind === 'waiting') n.task = t;
    }
    this.#poke();
  }

  /** Forget a watcher (removed by a reload); what waited for it waits on (the config refuses that). */
  remove(name: string): void {
    this.#nodes.delete(name.toLowerCase());
    this.#poke();
  }

  /** Start everything by the graph; resolves once nothing more can start by itself (see the module comment). */
  start(): Promise<StartOutcome> {
    this.#unsubscribe ??= this.#host.events.subscribe(() => this.#poke());
    this.#ensureLoop();
    return this.#outcome;
  }

  /** Stop watching (the arbiter stops, its signal aborted): pending waits end; resolves once the start tasks still running have ended. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#settle({ kind: 'aborted' });
    this.#poke();
    await Promise.all([...this.#inflight]);
  }

  /** What a waiting node still waits for; undefined when it does not wait. */
  waitingFor(name: string): string[] | undefined {
    const n = this.#nodes.get(name.toLowerCase());
    return n?.state.kind === 'waiting' ? [...(n.state.on ?? depsOf(n))] : undefined;
  }

  /** The stored state of a node (see the diagram), undefined for a name the graph does not have. */
  stateOf(name: string): NodeState | undefined {
    return this.#nodes.get(name.toLowerCase())?.state;
  }

  #poke(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #settle(o: StartOutcome): void {
    const s = this.#settled;
    this.#settled = undefined;
    s?.(o);
  }

  #ensureLoop(): void {
    if (this.#loop) return;
    this.#loop = this.#run().finally(() => (this.#loop = undefined));
  }

  async #run(): Promise<void> {
    const signal = this.#signal;
    for (;;) {
      if (signal.aborted) return this.#settle({ kind: 'aborted' });
      if (this.#failure) return this.#settle(this.#failure);
      this.#refreshWaits();
      const due = [...this.#nodes.values()]
        .filter((n) => n.state.kind === 'waiting' && n.state.on?.length === 0)
        .sort((a, b) => priorityOf(b) - priorityOf(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (due.length === 0) {
        if (!this.#canProgress()) {
          this.#settle({ kind: 'started' });
          if (![...this.#nodes.values()].some((n) => n.state.kind === 'waiting')) return;
        }
        const woken = new Promise<void>((resolve) => (this.#wake = resolve));
        if (signal.aborted) return this.#settle({ kind: 'aborted' });
        await woken;
        continue;
      }
      for (const n of due) {
        if (signal.aborted || this.#failure) break;
        if (n.kind === 'task') this.#runTask(n);
        else if (!(await this.#startWatcher(n))) break;
      }
    }
  }

  /** Start a watcher node, warmup_delay after the previous watcher start; false when the wait was aborted. */
  async #startWatcher(n: Extract<Node, { kind: 'watcher' }>): Promise<boolean> {
    n.state = { kind: 'starting' };
    const delay = this.#host.warmupDelay();
    if (this.#watcherStarts++ > 0 && delay > 0 && !(await sleep(this.#host.timers ?? realTimers, delay * 1000, this.#signal))) {
      n.state = { kind: 'waiting', on: undefined };
      return false;
    }
    if (this.#signal.aborted) return false;
    if (n.watcher.phase !== 'running') await n.watcher.start();
    n.state = { kind: 'started' };
    return true;
  }

  #runTask(n: Extract<Node, { kind: 'task' }>): void {
    n.state = { kind: 'starting' };
    const host: TaskAttemptsHost = { ...this.#host, timers: this.#host.timers ?? realTimers, events: this.#host.events };
    const run = runAttempts(n.task, host, this.#signal).then(
      ({ result, attempts }) => {
        if (result.kind === 'success') n.state = { kind: 'succeeded' };
        else {
          const tries = attempts === 1 ? '' : ` after ${attempts} attempts`;
          const message = `start task "${n.name}" failed${tries} with status ${result.status}${result.message ? `: ${result.message}` : ''}`;
          n.state = { kind: 'failed', status: result.status, message };
          // A run cut short by the stop is no failure of the start: the stop came first. One
          // added by a reload, once the start is over, holds back only what depends on it.
          if (!this.#signal.aborted && this.#settled) this.#failure ??= { kind: 'failed', task: n.name, status: result.status === 0 ? 1 : result.status, message };
        }
        this.#poke();
      },
      (err: unknown) => {
        const message = `start task "${n.name}" could not run: ${(err as Error).message}`;
        n.state = { kind: 'failed', status: 1, message };
        if (this.#settled) this.#failure ??= { kind: 'failed', task: n.name, status: 1, message };
        this.#poke();
      },
    );
    this.#inflight.add(run);
    void run.finally(() => this.#inflight.delete(run));
  }

  /** How a dependency named `name` stands; `seen` guards against a cycle. */
  #dep(name: string, seen: Set<string>): DepState {
    const n = this.#nodes.get(name.toLowerCase());
    if (!n) return 'blocked';
    if (n.kind === 'task') {
      const s = n.state;
      switch (s.kind) {
        case 'succeeded':
          return 'met';
        case 'failed':
        case 'held':
          return 'blocked';
        case 'starting':
        case 'started':
          return 'pending';
        case 'waiting':
          return this.#nodeCanProgress(n, seen) ? 'pending' : 'blocked';
        default:
          return assertNever(s);
      }
    }
    const w = n.watcher;
    const st = w.status();
    if (w.phase === 'completed') return 'met';
    if (w.phase === 'running' && st.desired > 0 && st.ready >= readyNeeded(st)) return 'met';
    if (w.phase === 'running') return st.desired > 0 ? 'pending' : 'blocked';
    if (n.state.kind === 'starting') return 'pending';
    if (n.state.kind === 'waiting') return this.#nodeCanProgress(n, seen) ? 'pending' : 'blocked';
    return 'blocked';
  }

  #nodeCanProgress(n: Node, seen: Set<string>): boolean {
    const k = n.name.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return depsOf(n).every((d) => this.#dep(d, seen) !== 'blocked');
  }

  /** Can anything still start, or a task still finish, without help from outside (ctl start, scale)? */
  #canProgress(): boolean {
    for (const n of this.#nodes.values()) {
      if (n.state.kind === 'starting') return true;
      if (n.state.kind === 'waiting' && this.#nodeCanProgress(n, new Set())) return true;
    }
    return false;
  }

  /** Each waiting node's unmet dependencies, with a deps.waiting event when they changed. */
  #refreshWaits(): void {
    for (const n of this.#nodes.values()) {
      if (n.state.kind !== 'waiting') continue;
      const deps = depsOf(n);
      const on = deps.filter((d) => this.#dep(d, new Set([n.name.toLowerCase()])) !== 'met');
      const before = n.state.on;
      n.state = { kind: 'waiting', on };
      const changed = before === undefined ? deps.length > 0 : on.length !== before.length || on.some((d, i) => d !== before[i]);
      if (changed) this.#host.events.emit({ type: 'deps.waiting', name: n.name, kind: n.kind, on });
    }
  }
}
