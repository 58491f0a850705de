/**
 * The start graph without a kernel: fake watchers (their phase and readiness set by the
 * test), a fake task runner whose runs the test ends, a fake clock for warmup and backoff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskConfig } from '../../src/config/types.js';
import { EventBus, type RingmasterEvent } from '../../src/supervisor/events.js';
import { graphOrder, StartGraph, type GraphWatcher } from '../../src/supervisor/start-graph.js';
import type { TaskRunner, TaskRunResult } from '../../src/supervisor/task-run.js';
import { TaskTally } from '../../src/supervisor/task-tally.js';
import type { StartOutcome } from '../../src/supervisor/arbiter.js';
import type { WatcherPhase } from '../../src/supervisor/watcher-status.js';
import { FakeClock, settle } from './fake-supervisor.js';

export function taskConfig(o: Partial<TaskConfig> & { name: string }): TaskConfig {
  return {
    argv: ['true'],
    cmd: 'true',
    shell: false,
    working_dir: undefined,
    uid: undefined,
    gid: undefined,
    copy_env: true,
    env: {},
    env_file: [],
    output: 'prefix',
    rlimits: {},
    when: 'start',
    timeout: 0,
    graceful_timeout: 5,
    retries: 0,
    backoff_initial: 1,
    backoff_multiplier: 2,
    backoff_max: 10,
    backoff_jitter: 0,
    depends_on: [],
    priority: 0,
    schedule: undefined,
    timezone: undefined,
    ...o,
  };
}

class FakeGraphWatcher implements GraphWatcher {
  phase: WatcherPhase = 'stopped';
  desired: number;
  ready = 0;
  completed: Array<{ wid: number; code: number; at: number }> | undefined;
  config: GraphWatcher['config'];
  readonly name: string;
  readonly log: string[];
  constructor(name: string, o: { depends_on?: string[]; priority?: number; autostart?: boolean; numprocesses?: number } = {}, log: string[] = []) {
    this.name = name;
    this.log = log;
    this.config = { autostart: o.autostart ?? true, depends_on: o.depends_on ?? [], priority: o.priority ?? 0 };
    this.desired = o.numprocesses ?? 1;
  }
  status() {
    return { desired: this.desired, ready: this.ready, completed: this.completed };
  }
  async start(): Promise<void> {
    this.phase = 'running';
    this.log.push(`start ${this.name}`);
  }
}

const ok: TaskRunResult = { kind: 'success', status: 0, durationMs: 5, tail: [] };
const fail = (status: number): TaskRunResult => ({ kind: 'failure', status, durationMs: 5, tail: ['boom'] });

/** A graph over fakes; `finish(name, result)` ends the current run of a task. */
function setup(o: { warmup?: number } = {}) {
  const clock = new FakeClock();
  const events = new EventBus(clock.now);
  const seen: RingmasterEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const log: string[] = [];
  const argvs: string[] = [];
  const runs = new Map<string, (r: TaskRunResult) => void>();
  const run: TaskRunner = (task) => {
    log.push(`run ${task.name}`);
    argvs.push(task.argv.join(' '));
    return new Promise((resolve) => runs.set(task.name, resolve));
  };
  const ac = new AbortController();
  const owned: number[] = [];
  const graph = new StartGraph(
    {
      run,
      events,
      own: (p) => owned.push(p),
      disown: () => {},
      baseEnv: {},
      cwd: '/',
      timers: clock,
      random: () => 0.5,
      warmupDelay: () => o.warmup ?? 0,
    },
    ac.signal,
  );
  let outcome: StartOutcome | undefined;
  const start = (): void => void graph.start().then((x) => (outcome = x));
  const finish = async (name: string, r: TaskRunResult): Promise<void> => {
    const f = runs.get(name);
    assert.ok(f, `${name} is running`);
    runs.delete(name);
    f(r);
    await settle();
  };
  const watcher = (name: string, opts: ConstructorParameters<typeof FakeGraphWatcher>[1] = {}) => new FakeGraphWatcher(name, opts, log);
  return { clock, events, seen, log, graph, ac, start, finish, watcher, outcome: () => outcome, running: () => [...runs.keys()], argvs };
}

test('graphOrder: dependencies first, priority among the free ones, then the order given', () => {
  const items = [
    { name: 'web', depends_on: ['migrate', 'db'], priority: 10 },
    { name: 'db', depends_on: [], priority: 0 },
    { name: 'cache', depends_on: [], priority: 5 },
    { name: 'migrate', depends_on: ['DB'], priority: 0 },
  ];
  assert.deepEqual(graphOrder(items).map((x) => x.name), ['cache', 'db', 'migrate', 'web']);
  // a cycle (the config refuses it) holds nothing back forever
  assert.deepEqual(graphOrder([{ name: 'a', depends_on: ['b'], priority: 0 }, { name: 'b', depends_on: ['a'], priority: 0 }]).length, 2);
});

test('a migration task gates its dependant; what depends on nothing starts beside it', async () => {
  const g = setup();
  const web = g.watcher('web', { depends_on: ['migrate'] });
  const side = g.watcher('side');
  g.graph.add([web, side], [taskConfig({ name: 'migrate' })]);
  g.start();
  await settle();
  assert.deepEqual(g.log, ['run migrate', 'start side']);
  assert.deepEqual(g.graph.waitingFor('web'), ['migrate']);
  const waiting = g.seen.filter((e) => e.type === 'deps.waiting');
  assert.deepEqual(waiting.map((e) => e.type === 'deps.waiting' && [e.name, e.kind, e.on]), [['web', 'watcher', ['migrate']]]);
  assert.equal(g.outcome(), undefined, 'not started while the task runs');
  await g.finish('migrate', ok);
  assert.deepEqual(g.log, ['run migrate', 'start side', 'start web']);
  assert.deepEqual(g.outcome(), { kind: 'started' });
  const types = g.seen.map((e) => e.type);
  assert.ok(types.indexOf('task.finished') > types.indexOf('task.started'));
  assert.deepEqual(g.graph.waitingFor('web'), undefined);
});

test('priority breaks ties among nodes free at the same time', async () => {
  const g = setup();
  g.graph.add([g.watcher('low', { priority: 1 }), g.watcher('high', { priority: 9 }), g.watcher('mid', { priority: 5 })], [taskConfig({ name: 'task', priority: 7 })]);
  g.start();
  await settle();
  assert.deepEqual(g.log, ['start high', 'run task', 'start mid', 'start low']);
});

test('warmup_delay stays between two watcher starts, not before the first', async () => {
  const g = setup({ warmup: 2 });
  g.graph.add([g.watcher('a', { priority: 2 }), g.watcher('b', { priority: 1 })], []);
  g.start();
  await settle();
  assert.deepEqual(g.log, ['start a']);
  await g.clock.advance(1999);
  assert.deepEqual(g.log, ['start a']);
  await g.clock.advance(1);
  assert.deepEqual(g.log, ['start a', 'start b']);
});

test('a watcher dependency is met once all its desired workers are ready', async () => {
  const g = setup();
  const db = g.watcher('db', { numprocesses: 2 });
  const web = g.watcher('web', { depends_on: ['db'] });
  g.graph.add([db, web], []);
  g.start();
  await settle();
  assert.deepEqual(g.log, ['start db']);
  db.ready = 1;
  g.events.emit({ type: 'worker.ready', watcher: 'db', wid: 1, pid: 1 });
  await settle();
  assert.deepEqual(g.log, ['start db'], 'one of two ready is not enough');
  db.ready = 2;
  g.events.emit({ type: 'worker.ready', watcher: 'db', wid: 2, pid: 2 });
  await settle();
  assert.deepEqual(g.log, ['start db', 'start web']);
  assert.deepEqual(g.outcome(), { kind: 'started' });
});

test('a watcher dependency counts its completed slots as done (respawn: on-failure), as /readyz does', async () => {
  const g = setup();
  const queue = g.watcher('queue', { numprocesses: 2 });
  const web = g.watcher('web', { depends_on: ['queue'] });
  g.graph.add([queue, web], []);
  g.start();
  await settle();
  queue.ready = 1;
  g.events.emit({ type: 'worker.ready', watcher: 'queue', wid: 1, pid: 1 });
  await settle();
  assert.deepEqual(g.log, ['start queue'], 'one of two ready is not enough');
  // wid 2 exited 0 under on-failure: its slot is completed, the watcher still runs
  queue.completed = [{ wid: 2, code: 0, at: 0 }];
  g.events.emit({ type: 'worker.completed', watcher: 'queue', wid: 2, pid: 2, code: 0 });
  await settle();
  assert.deepEqual(g.log, ['start queue', 'start web']);
  assert.deepEqual(g.outcome(), { kind: 'started' });
});

test('a dependency on an autostart: false watcher waits until it is started (start() resolves meanwhile)', async () => {
  const g = setup();
  const db = g.watcher('db', { autostart: false });
  const web = g.watcher('web', { depends_on: ['db'] });
  g.graph.add([db, web], []);
  g.start();
  await settle();
  assert.deepEqual(g.log, []);
  assert.deepEqual(g.outcome(), { kind: 'started' }, 'nothing else can start by itself');
  assert.deepEqual(g.graph.waitingFor('web'), ['db']);
  // ctl start db, then its worker gets ready
  await db.start();
  db.ready = 1;
  g.events.emit({ type: 'worker.ready', watcher: 'db', wid: 1, pid: 1 });
  await settle();
  assert.deepEqual(g.log, ['start db', 'start web']);
});

test('a dependency on a watcher with numprocesses 0 waits (and a task waiting for it too)', async () => {
  const g = setup();
  const db = g.watcher('db', { numprocesses: 0 });
  g.graph.add([db], [taskConfig({ name: 'seed', depends_on: ['db'] })]);
  g.start();
  await settle();
  assert.deepEqual(g.log, ['start db']);
  assert.deepEqual(g.outcome(), { kind: 'started' });
  db.desired = 1;
  db.ready = 1;
  g.events.emit({ type: 'worker.ready', watcher: 'db', wid: 1, pid: 1 });
  await settle();
  assert.deepEqual(g.log, ['start db', 'run seed']);
});

test('a failed start task (after its retries, with backoff) starts nothing that depends on it, even transitively', async () => {
  const g = setup();
  const web = g.watcher('web', { depends_on: ['migrate'] });
  const front = g.watcher('front', { depends_on: ['web'] });
  const side = g.watcher('side');
  g.graph.add([web, front, side], [taskConfig({ name: 'migrate', retries: 1, backoff_initial: 3 })]);
  g.start();
  await settle();
  await g.finish('migrate', fail(3));
  const first = g.seen.find((e) => e.type === 'task.finished');
  assert.equal(first?.type === 'task.finished' && first.retryIn, 3, 'the first retry waits backoff_initial');
  assert.deepEqual(g.running(), []);
  await g.clock.advance(3000);
  assert.deepEqual(g.running(), ['migrate']);
  await g.finish('migrate', fail(3));
  assert.deepEqual(g.log, ['run migrate', 'start side', 'run migrate']);
  const o = g.outcome();
  assert.equal(o?.kind, 'failed');
  assert.ok(o?.kind === 'failed' && o.task === 'migrate' && o.status === 3 && /after 2 attempts with status 3/.test(o.message), JSON.stringify(o));
  const last = g.seen.filter((e) => e.type === 'task.finished').at(-1);
  assert.ok(last?.type === 'task.finished' && last.retryIn === undefined && last.attempt === 2);
});

test('a stop during a task ends the start as aborted, and no failure is reported', async () => {
  const g = setup();
  g.graph.add([g.watcher('web', { depends_on: ['migrate'] })], [taskConfig({ name: 'migrate' })]);
  g.start();
  await settle();
  g.ac.abort();
  await settle();
  assert.deepEqual(g.outcome(), { kind: 'aborted' });
  await g.finish('migrate', { ...fail(143), signal: 'SIGTERM' });
  assert.deepEqual(g.log, ['run migrate']);
});

test('a reload adds a start task and a watcher that depends on it: the task runs first', async () => {
  const g = setup();
  g.graph.add([g.watcher('side')], []);
  g.start();
  await settle();
  g.graph.add([g.watcher('api', { depends_on: ['seed'] })], [taskConfig({ name: 'seed' })]);
  await settle();
  assert.deepEqual(g.log, ['start side', 'run seed']);
  await g.finish('seed', ok);
  assert.deepEqual(g.log, ['start side', 'run seed', 'start api']);
});

test('the task tally counts runs by result, the last run and skips, from events alone', () => {
  const t = new TaskTally();
  const cfg = taskConfig({ name: 'Backup', schedule: '* * * * *' });
  t.record({ type: 'task.started', task: 'Backup', attempt: 1, pid: 7, scheduled: true }, 1000);
  assert.equal(t.status(cfg, undefined).state, 'running');
  assert.equal(t.status(cfg, undefined).pid, 7);
  t.record({ type: 'task.finished', task: 'backup', attempt: 1, scheduled: true, result: fail(2), retryIn: 1 }, 2000);
  assert.equal(t.status(cfg, undefined).state, 'retrying');
  t.record({ type: 'task.finished', task: 'backup', attempt: 2, scheduled: true, result: ok }, 3000);
  t.record({ type: 'task.skipped', task: 'backup', reason: 'overlap' }, 4000);
  const s = t.status(cfg, undefined);
  assert.equal(s.when, 'schedule');
  assert.equal(s.state, 'succeeded');
  assert.equal(s.runs, 2);
  assert.deepEqual(s.runsByResult, { success: 1, failure: 1, timeout: 0, 'spawn-failed': 0 });
  assert.equal(s.skipped, 1);
  assert.equal(s.lastSuccessAt, 3000);
  assert.equal(s.lastRun?.finishedAt, 3000);
  assert.equal(t.status(taskConfig({ name: 'other' }), ['db']).state, 'waiting');
});

test('after the start, a start task added by a reload that fails holds back only what depends on it', async () => {
  const g = setup();
  g.graph.add([g.watcher('side')], []);
  g.start();
  await settle();
  assert.deepEqual(g.outcome(), { kind: 'started' });
  g.graph.add([g.watcher('api', { depends_on: ['seed'] })], [taskConfig({ name: 'seed' })]);
  await settle();
  await g.finish('seed', fail(2));
  assert.deepEqual(g.outcome(), { kind: 'started' }, 'the start outcome stays');
  g.graph.add([g.watcher('other')], []);
  await settle();
  assert.deepEqual(g.log, ['start side', 'run seed', 'start other']);
  assert.deepEqual(g.graph.waitingFor('api'), ['seed']);
});

test("a reload's config reaches a node still waiting: its new depends_on and, for a task, its new command", async () => {
  const g = setup();
  const db = g.watcher('db', { autostart: false });
  const web = g.watcher('web', { depends_on: ['db'] });
  g.graph.add([db, web], [taskConfig({ name: 'seed', depends_on: ['db'], argv: ['old'] })]);
  g.start();
  await settle();
  assert.deepEqual(g.log, []);
  // the reload drops web's and seed's dependency on db
  web.config = { ...web.config, depends_on: [] };
  g.graph.update([taskConfig({ name: 'seed', argv: ['new'] })]);
  await settle();
  assert.deepEqual(g.log.sort(), ['run seed', 'start web']);
  assert.deepEqual(g.argvs, ['new']);
});
