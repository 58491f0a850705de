// The watcher's pool, respawn, backoff and FATAL on fakes (fake-supervisor.ts): no process,
// no timer of the real clock; each test runs in milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../src/supervisor/events.js';
import { fakeWatcher, quietLog, settle, watcherConfig } from './fake-supervisor.js';

test('start spawns the desired number of workers, wids 1..N, ready at once with ready = none', async () => {
  const f = fakeWatcher({ numprocesses: 3 });
  await f.watcher.start();
  assert.deepEqual(f.of('worker.spawned').map((e) => e.wid), [1, 2, 3]);
  assert.deepEqual(f.of('worker.ready').map((e) => e.wid), [1, 2, 3]);
  assert.deepEqual(f.of('watcher.phase').map((e) => [e.from, e.phase]), [['stopped', 'running']]);
  const s = f.watcher.status();
  assert.equal(s.running, 3);
  assert.equal(s.ready, 3);
});

test('an unexpected exit is respawned: at once the first time, then after a growing backoff', async () => {
  const f = fakeWatcher({ backoff_initial: 1, backoff_multiplier: 2, backoff_max: 10, backoff_reset: 60, max_retry: -1 });
  await f.watcher.start();
  for (let i = 0; i < 4; i++) {
    f.live(1).exit({ kind: 'exited', code: 1 });
    await f.clock.advance(10_000);
  }
  assert.deepEqual(f.of('worker.respawn_scheduled').map((e) => e.delaySeconds), [0, 1, 2, 4]);
  const exits = f.of('worker.exited');
  assert.deepEqual(exits.map((e) => [e.cause, e.reason]), Array(4).fill(['unexpected', 'failed']));
  assert.equal(f.procs.length, 5);
  assert.equal(f.watcher.status().restarts, 4);
});

test('a respawn waits out its delay: nothing is spawned before it', async () => {
  const f = fakeWatcher({ backoff_initial: 2, backoff_reset: 60, max_retry: -1 });
  await f.watcher.start();
  f.live(1).exit();
  await settle();
  f.live(1).exit();
  await f.clock.advance(1_999);
  assert.equal(f.procs.length, 2, 'respawned before the backoff was over');
  await f.clock.advance(1);
  assert.equal(f.procs.length, 3);
});

test('more than max_retry quick failures in a row: FATAL, watcher.fatal, no more spawns', async () => {
  const fatal: string[] = [];
  const f = fakeWatcher({ max_retry: 2, backoff_initial: 0.1, backoff_reset: 60 }, { onFatal: (w) => fatal.push(w.name) });
  await f.watcher.start();
  for (let i = 0; i < 3; i++) {
    f.live(1).exit({ kind: 'exited', code: 3 });
    await f.clock.advance(1_000);
  }
  assert.equal(f.watcher.phase, 'fatal');
  assert.equal(f.of('watcher.fatal').length, 1);
  assert.match(f.of('watcher.fatal')[0]?.reason ?? '', /3 quick failures in a row \(max_retry = 2\)/);
  assert.deepEqual(fatal, ['web']);
  const spawned = f.procs.length;
  await f.clock.advance(3_600_000);
  assert.equal(f.procs.length, spawned, 'a FATAL watcher spawned again');
  assert.equal(f.of('worker.respawn_scheduled').length, 2);
});

test('a spawn that fails (not for want of a resource) counts toward FATAL too', async () => {
  const f = fakeWatcher({ max_retry: 1, backoff_initial: 0.1 });
  f.spawning.failWith = 'ENOENT';
  await f.watcher.start();
  await f.clock.advance(1_000);
  assert.equal(f.watcher.phase, 'fatal');
  const exits = f.of('worker.exited');
  assert.deepEqual(exits.map((e) => e.reason), ['spawn_failed', 'spawn_failed']);
  assert.equal(exits[0]?.command, 'app');
});

test('a spawn short of a resource is retried with backoff, never FATAL', async () => {
  const f = fakeWatcher({ max_retry: 1, backoff_initial: 0.1 });
  f.spawning.failWith = 'EMFILE';
  await f.watcher.start();
  await f.clock.advance(10_000);
  assert.equal(f.watcher.phase, 'running');
  assert.ok(f.of('worker.exited').every((e) => e.cause === 'shortage'));
  f.spawning.failWith = undefined;
  await f.clock.advance(20_000);
  assert.equal(f.watcher.status().running, 1);
  assert.equal(f.watcher.status().shortage, undefined);
});

test('backoff_reset: a worker that ran long enough starts the count again', async () => {
  const f = fakeWatcher({ max_retry: 2, backoff_initial: 1, backoff_reset: 5 });
  await f.watcher.start();
  for (let round = 0; round < 3; round++) {
    f.live(1).exit();
    await f.clock.advance(2_000);
    f.live(1).exit();
    await f.clock.advance(2_000);
    // healthy for longer than backoff_reset before the next failure
    await f.clock.advance(6_000);
  }
  assert.equal(f.watcher.phase, 'running');
  assert.deepEqual(f.of('worker.respawn_scheduled').map((e) => e.delaySeconds), [0, 1, 0, 1, 0, 1]);
});

test('scale up spawns the missing wids, scale down retires the highest wids first', async () => {
  const f = fakeWatcher({ numprocesses: 2 });
  await f.watcher.start();
  await f.watcher.scale(4);
  assert.deepEqual(f.of('worker.spawned').map((e) => e.wid), [1, 2, 3, 4]);
  const before = [4, 3, 2].map((wid) => f.live(wid));
  assert.equal(await f.watcher.scale(1), 1);
  assert.deepEqual(f.of('watcher.scaled').map((e) => e.numprocesses), [4, 1]);
  assert.ok(before.every((p) => p.stops[0] === 'SIGTERM'));
  const stopped = f.of('worker.exited').filter((e) => e.cause === 'stopped');
  assert.deepEqual(stopped.map((e) => e.wid), [4, 3, 2]);
  assert.deepEqual(f.watcher.status().workers.map((w) => w.wid), [1]);
  await f.clock.advance(60_000);
  assert.equal(f.procs.length, 4, 'a retired worker was respawned');
});

test('stop() cancels the pending respawn timers: nothing is spawned after it', async () => {
  const f = fakeWatcher({ numprocesses: 2, backoff_initial: 5, backoff_reset: 60 });
  await f.watcher.start();
  f.live(1).exit();
  await settle();
  f.live(1).exit();
  await settle();
  assert.equal(f.clock.pending, 1, 'one respawn timer');
  await f.watcher.stop();
  assert.equal(f.clock.pending, 0);
  await f.clock.advance(60_000);
  assert.equal(f.procs.length, 3);
  assert.equal(f.watcher.phase, 'stopped');
  assert.ok(f.of('worker.exited').slice(-1).every((e) => e.cause === 'stopped'));
});

test("stop() during start's warm-up sleep ends it: the remaining wids are never spawned", async () => {
  const f = fakeWatcher({ numprocesses: 3, warmup_delay: 10 });
  const starting = f.watcher.start();
  await settle();
  assert.equal(f.procs.length, 1);
  assert.equal(f.clock.pending, 1, 'the warm-up sleep');
  await f.watcher.stop();
  await starting;
  assert.equal(f.clock.pending, 0);
  await f.clock.advance(60_000);
  assert.equal(f.procs.length, 1);
});

test('destroy() kills every worker and the phase reaches stopped once they are gone', async () => {
  const f = fakeWatcher({ numprocesses: 2 });
  await f.watcher.start();
  f.watcher.destroy();
  assert.equal(f.watcher.phase, 'stopping');
  await settle();
  assert.equal(f.watcher.phase, 'stopped');
  assert.deepEqual(f.of('watcher.phase').map((e) => e.phase), ['running', 'stopping', 'stopped']);
  assert.deepEqual(f.of('worker.exited').map((e) => [e.cause, e.outcome.kind === 'signaled' && e.outcome.signal]), [['stopped', 'SIGKILL'], ['stopped', 'SIGKILL']]);
  // again, and then a start: the watcher runs again
  f.watcher.destroy();
  await f.watcher.start();
  assert.equal(f.watcher.status().running, 2);
});

test('notify readiness: ready at READY=1; a check that times out is unready, and READY=1 later still counts', async () => {
  const f = fakeWatcher({ ready: { kind: 'notify', timeout: 1 } });
  await f.watcher.start();
  const pid = f.live(1).pid as number;
  await f.clock.advance(1_100);
  assert.deepEqual(f.of('worker.unready').map((e) => [e.why, e.check]), [['timeout', 'notify']]);
  let w = f.watcher.status().workers[0];
  assert.deepEqual([w?.ready, w?.readyFailed], [false, true]);
  f.notifies.get(pid)?.queue.push({ ready: true, status: 'serving' });
  await f.clock.advance(1_000);
  w = f.watcher.status().workers[0];
  assert.deepEqual([w?.ready, w?.readyFailed, w?.statusText], [true, false, 'serving']);
  f.notifies.get(pid)?.queue.push({ stopping: true });
  await f.clock.advance(1_000);
  assert.equal(f.of('worker.unready')[1]?.why, 'stopping');
  assert.equal(f.watcher.status().ready, 0);
});

test('the watchdog restarts a worker that stops sending WATCHDOG=1; the restart counts as an exit', async () => {
  const f = fakeWatcher({ watchdog_sec: 2, backoff_reset: 60 });
  await f.watcher.start();
  const first = f.live(1);
  for (let i = 0; i < 4; i++) {
    f.notifies.get(first.pid as number)?.queue.push({ watchdog: true });
    await f.clock.advance(1_000);
  }
  assert.equal(first.stops.length, 0, 'stopped while it sent WATCHDOG=1');
  await f.clock.advance(3_000);
  assert.deepEqual(first.stops, ['SIGTERM']);
  assert.equal(f.of('worker.exited')[0]?.cause, 'unexpected');
  assert.notEqual(f.live(1), first);
});

test("Arbiter.stop() during the warm-up sleep between two watchers: the second never starts", async () => {
  const { Arbiter } = await import('../../src/supervisor/arbiter.js');
  const { GLOBAL_DEFAULTS } = await import('../../src/config/defaults.js');
  const f = fakeWatcher();
  const clock = f.clock;
  const config = {
    ringmaster: { ...GLOBAL_DEFAULTS, warmup_delay: 30 },
    watchers: [watcherConfig({ name: 'a', priority: 2 }), watcherConfig({ name: 'b', priority: 1 })],
  } as unknown as ConstructorParameters<typeof Arbiter>[0];
  const spawned: string[] = [];
  const sockets = { get: () => undefined, fdForWorker: () => ({ fd: -1, own: false }), list: () => [] } as unknown as ConstructorParameters<typeof Arbiter>[1];
  const bus = new EventBus(clock.now);
  bus.subscribe((e) => e.type === 'worker.spawned' && spawned.push(e.watcher));
  const arbiter = new Arbiter(config, sockets, {
    log: quietLog,
    events: bus,
    own() {},
    disown() {},
    now: clock.now,
    baseEnv: {},
    cwd: '/',
    requestExit() {},
    timers: clock,
    spawner: f.spawner,
    sys: f.sys,
  });
  const starting = arbiter.start();
  await settle();
  assert.deepEqual(spawned, ['a']);
  assert.equal(clock.pending, 1, 'the warm-up sleep');
  await arbiter.stop();
  await starting;
  await clock.advance(60_000);
  assert.deepEqual(spawned, ['a']);
  assert.equal(clock.pending, 0);
});

test('exit_on: exit: the exit is reported to the host (which shuts the init down) and not respawned', async () => {
  const reported: number[] = [];
  const f = fakeWatcher({ exit_on: 'exit', backoff_reset: 60, max_retry: -1 }, { onUnexpectedExit: (_w, wid) => reported.push(wid) });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 5 });
  await f.clock.advance(10_000);
  assert.deepEqual(reported, [1]);
  assert.equal(f.procs.length, 1, 'respawned while the init was asked to exit');
  assert.equal(f.of('worker.respawn_scheduled').length, 0);
});
