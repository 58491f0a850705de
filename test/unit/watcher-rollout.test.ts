// Rolling restarts and reconfigure() on fakes (fake-supervisor.ts): typed results, the
// events of each step, and the rollback to the old config when new workers never get ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fakeWatcher, settle, watcherConfig } from './fake-supervisor.js';

test('a rolling restart replaces every worker, max_surge at a time: rollout.step per batch, result done', async () => {
  const f = fakeWatcher({ numprocesses: 3, max_surge: 2 });
  await f.watcher.start();
  const old = [1, 2, 3].map((wid) => f.live(wid));
  const result = await f.watcher.rollingRestart();
  assert.deepEqual(result, { kind: 'done', replaced: 3 });
  assert.deepEqual(f.of('rollout.started').map((e) => [e.workers, e.maxSurge]), [[3, 2]]);
  assert.deepEqual(f.of('rollout.step').map((e) => [e.replaced, e.total]), [[2, 3], [3, 3]]);
  assert.deepEqual(f.of('rollout.result').map((e) => e.result), [result]);
  assert.ok(old.every((p) => p.state.kind === 'exited' && p.stops[0] === 'SIGTERM'));
  assert.deepEqual(f.of('worker.exited').map((e) => e.cause), ['stopped', 'stopped', 'stopped']);
  const s = f.watcher.status();
  assert.deepEqual([s.running, s.ready, s.rollout?.state, s.rollout?.message], [3, 3, 'done', 'replaced 3 workers']);
  assert.equal(s.exits.stopped, 3);
  assert.equal(s.restarts, 0);
});

test('reconfigure: a new worker that never gets ready fails the rollout; the old workers and the old config stay', async () => {
  const f = fakeWatcher({ numprocesses: 2 });
  await f.watcher.start();
  const old = [f.live(1), f.live(2)];
  const before = f.watcher.config;
  const next = watcherConfig({ numprocesses: 2, argv: ['app2'], cmd: 'app2', ready: { kind: 'notify', timeout: 1 } });
  const rolling = f.watcher.reconfigure(next);
  await f.clock.advance(1_500);
  const result = await rolling;
  assert.equal(result.kind, 'failed');
  assert.deepEqual(result.kind === 'failed' && [result.wid, result.replaced, result.kept], [1, 0, 2]);
  assert.match(result.kind === 'failed' ? result.message : '', /^new worker 1 \(pid \d+\) did not become ready \(notify\); 2 old workers kept$/);
  assert.equal(f.watcher.config, before, 'the old config was not restored');
  assert.ok(old.every((p) => p.state.kind === 'running'), 'an old worker was stopped');
  const candidate = f.procs[2];
  assert.equal(candidate?.spec.file, 'app2');
  assert.equal(candidate?.state.kind, 'exited');
  assert.deepEqual(f.of('rollout.result').map((e) => e.result.kind), ['failed']);
  assert.equal(f.of('worker.unready')[0]?.check, 'notify');
  const s = f.watcher.status();
  assert.deepEqual([s.running, s.ready, s.rollout?.state, s.failuresInARow], [2, 2, 'failed', 0]);
});

test('reconfigure: a wid whose old worker died during the failed rollout is refilled with the old config', async () => {
  const f = fakeWatcher({ numprocesses: 1 });
  await f.watcher.start();
  const next = watcherConfig({ argv: ['app2'], cmd: 'app2', ready: { kind: 'notify', timeout: 1 } });
  const rolling = f.watcher.reconfigure(next);
  await settle();
  // the old worker dies on its own while its replacement is on probation: no respawn (its wid is the new one's)
  f.procs[0]?.exit({ kind: 'exited', code: 1 });
  await settle();
  assert.equal(f.procs.length, 2);
  await f.clock.advance(1_500);
  assert.equal((await rolling).kind, 'failed');
  assert.equal(f.procs.length, 3);
  assert.equal(f.procs[2]?.spec.file, 'app', 'refilled with the old config');
  assert.equal(f.live(1), f.procs[2]);
});

test('a new worker that exits while on probation fails the rollout without counting toward FATAL', async () => {
  const f = fakeWatcher({ numprocesses: 1, max_retry: 0, ready: { kind: 'notify', timeout: 60 } });
  await f.watcher.start();
  const old = f.live(1);
  f.notifies.get(old.pid as number)?.queue.push({ ready: true });
  await f.clock.advance(20);
  const rolling = f.watcher.rollingRestart();
  await settle();
  f.procs[1]?.exit({ kind: 'exited', code: 2 });
  const result = await rolling;
  assert.equal(result.kind, 'failed');
  assert.equal(f.of('worker.exited')[0]?.cause, 'rollout');
  assert.equal(f.watcher.phase, 'running');
  assert.equal(f.live(1), old);
});

test('stop() during a rollout aborts it: result aborted, its timers gone', async () => {
  const f = fakeWatcher({ numprocesses: 2, ready: { kind: 'delay', seconds: 5 } });
  const starting = f.watcher.start();
  await f.clock.advance(5_000);
  await starting;
  const rolling = f.watcher.rollingRestart();
  await settle();
  await f.watcher.stop();
  const result = await rolling;
  assert.deepEqual(result, { kind: 'aborted', message: 'the watcher stopped after 0 of 2 workers were replaced', replaced: 0 });
  assert.equal(f.clock.pending, 0);
  assert.equal(f.watcher.phase, 'stopped');
});

test('reconfigure on a watcher that does not run only takes the config', async () => {
  const f = fakeWatcher();
  const next = watcherConfig({ argv: ['app2'], cmd: 'app2' });
  assert.deepEqual(await f.watcher.reconfigure(next), { kind: 'done', replaced: 0 });
  assert.equal(f.watcher.config, next);
  assert.equal(f.procs.length, 0);
});
