// respawn: always | on-failure | never and success_exit_codes, on the fakes (fake-supervisor.ts):
// which exits are restarted, which slots complete, the phase, max_retry, status and /readyz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readiness } from '../../src/http/readiness.js';
import type { InitSnapshot } from '../../src/lifecycle/api.js';
import { completes } from '../../src/supervisor/respawn.js';
import type { WatcherStatus } from '../../src/supervisor/watcher.js';
import { fakeWatcher, settle } from './fake-supervisor.js';

const quick = { backoff_initial: 0.1, backoff_reset: 60 };

function snapshot(watchers: WatcherStatus[]): InitSnapshot {
  return { phase: 'running', watchers } as unknown as InitSnapshot;
}

test('completes(): which exits end a slot under each policy', () => {
  const exit = (code: number) => ({ kind: 'exited', code }) as const;
  const sig = { kind: 'signaled', signal: 'SIGTERM', number: 15 } as const;
  const spawnFailed = { kind: 'spawn-failed', code: 'ENOENT', message: 'spawn x ENOENT' } as const;
  const codes = [0, 3];
  assert.equal(completes({ respawn: 'always', success_exit_codes: codes }, exit(0)), undefined);
  assert.equal(completes({ respawn: 'on-failure', success_exit_codes: codes }, exit(0)), 0);
  assert.equal(completes({ respawn: 'on-failure', success_exit_codes: codes }, exit(3)), 3);
  assert.equal(completes({ respawn: 'on-failure', success_exit_codes: codes }, exit(1)), undefined);
  assert.equal(completes({ respawn: 'on-failure', success_exit_codes: codes }, sig), undefined);
  assert.equal(completes({ respawn: 'on-failure', success_exit_codes: codes }, spawnFailed), undefined);
  assert.equal(completes({ respawn: 'never', success_exit_codes: codes }, exit(3)), 3);
  assert.equal(completes({ respawn: 'never', success_exit_codes: [] }, exit(0)), undefined, 'an empty list: no code is a success');
});

test('always: a clean exit is restarted, as before', async () => {
  const f = fakeWatcher({ respawn: 'always', ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  assert.equal(f.procs.length, 2);
  assert.deepEqual(f.of('worker.completed'), []);
  assert.equal(f.watcher.phase, 'running');
  assert.equal(f.watcher.status().restarts, 1);
});

test('on-failure: exit 0 completes the slot (worker.completed, phase completed, no respawn); the exit counts as `exited`', async () => {
  const f = fakeWatcher({ respawn: 'on-failure', ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(60_000);
  assert.equal(f.procs.length, 1, 'a completed slot was refilled');
  assert.deepEqual(f.of('worker.completed').map((e) => [e.wid, e.code, e.pid]), [[1, 0, 100]]);
  assert.deepEqual(f.of('worker.respawn_scheduled'), []);
  assert.equal(f.watcher.phase, 'completed');
  assert.deepEqual(f.of('watcher.phase').map((e) => e.phase), ['running', 'completed']);
  const s = f.watcher.status();
  assert.deepEqual(s.completed?.map((c) => [c.wid, c.code]), [[1, 0]]);
  assert.equal(s.exits.exited, 1);
  assert.equal(s.exits.failed, 0);
  assert.equal(s.restarts, 0);
  assert.equal(s.failuresInARow, 0);
  assert.equal(readiness(snapshot([s])).ok, true, 'a completed watcher is not missing');
});

test('on-failure: a failure and a signal are restarted with backoff and count toward max_retry; successes never do', async () => {
  const f = fakeWatcher({ respawn: 'on-failure', max_retry: 2, numprocesses: 2, ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 1 });
  await f.clock.advance(1_000);
  f.live(1).exit({ kind: 'signaled', signal: 'SIGKILL', number: 9 });
  await f.clock.advance(1_000);
  assert.equal(f.watcher.status().failuresInARow, 2);
  assert.equal(f.watcher.phase, 'running');
  // wid 2 completes: not a third failure, so no FATAL
  f.live(2).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  assert.equal(f.watcher.phase, 'running', 'a success counted toward max_retry');
  assert.equal(f.watcher.status().failuresInARow, 2);
  assert.deepEqual(f.of('worker.respawn_scheduled').map((e) => e.wid), [1, 1]);
  assert.deepEqual(f.of('worker.exited').map((e) => e.reason), ['failed', 'signaled', 'exited']);
  // /readyz: wid 1 ready, wid 2 completed: ready
  const s = f.watcher.status();
  assert.equal(s.ready, 1);
  assert.equal(readiness(snapshot([s])).ok, true);
  assert.deepEqual(readiness(snapshot([s])).body.watchers, { web: { ready: 1, desired: 2, completed: 1 } });
  // then wid 1 completes too: the watcher is completed
  f.live(1).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  assert.equal(f.watcher.phase, 'completed');
});

test('on-failure with success_exit_codes [0, 3]: 3 completes, 1 is restarted; 0 still completes', async () => {
  const f = fakeWatcher({ respawn: 'on-failure', success_exit_codes: [0, 3], numprocesses: 3, ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 3 });
  f.live(2).exit({ kind: 'exited', code: 1 });
  f.live(3).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  assert.deepEqual(f.of('worker.completed').map((e) => [e.wid, e.code]), [[1, 3], [3, 0]]);
  assert.deepEqual(f.of('worker.respawn_scheduled').map((e) => e.wid), [2]);
  assert.deepEqual(f.of('worker.exited').map((e) => e.reason), ['exited', 'failed', 'exited'], 'code 3 is a success, not `failed`');
  const s = f.watcher.status();
  assert.equal(s.exits.failed, 1);
  assert.equal(s.exits.exited, 2);
  assert.equal(f.watcher.phase, 'running');
  // readiness: 1 of 1 needed (two completed)
  assert.equal(readiness(snapshot([s])).ok, true);
  f.live(2).exit({ kind: 'exited', code: 4 });
  await settle();
  const r = readiness(snapshot([f.watcher.status()]));
  assert.equal(r.ok, false, 'the missing wid 2 (restart pending or not ready) is missing');
});

test('never: a success completes the slot; a failure ends it and it stays missing (as respawn = false did)', async () => {
  const f = fakeWatcher({ respawn: 'never', numprocesses: 2, ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 0 });
  f.live(2).exit({ kind: 'exited', code: 2 });
  await f.clock.advance(60_000);
  assert.equal(f.procs.length, 2, 'never restarted anything');
  assert.deepEqual(f.of('worker.completed').map((e) => e.wid), [1]);
  assert.deepEqual(f.of('worker.respawn_scheduled'), []);
  assert.equal(f.watcher.phase, 'running', 'one slot failed: not completed');
  const s = f.watcher.status();
  assert.equal(s.failuresInARow, 0);
  const r = readiness(snapshot([s]));
  assert.equal(r.ok, false);
  assert.match(r.body.reasons?.[0]?.reason ?? '', /0 of 1 \(1 more completed\)/);
});

test('a completed watcher starts again on start(), on a scale up, and on a rolling restart; a scale down keeps it completed', async () => {
  const f = fakeWatcher({ respawn: 'on-failure', numprocesses: 2, ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 0 });
  f.live(2).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  assert.equal(f.watcher.phase, 'completed');
  await f.watcher.scale(1);
  assert.equal(f.watcher.phase, 'completed', 'scaled down: still completed');
  assert.equal(f.procs.length, 2);
  await f.watcher.scale(3);
  assert.equal(f.watcher.phase, 'running');
  assert.equal(f.procs.length, 5, 'a scale up runs every slot again');
  assert.equal(f.watcher.status().completed, undefined);
  for (const wid of [1, 2, 3]) f.live(wid).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  assert.equal(f.watcher.phase, 'completed');
  await f.watcher.start();
  assert.equal(f.watcher.phase, 'running');
  assert.equal(f.procs.length, 8);
  for (const wid of [1, 2, 3]) f.live(wid).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  const r = await f.watcher.rollingRestart();
  assert.equal(r.kind, 'done');
  assert.equal(f.watcher.phase, 'running');
  assert.equal(f.procs.length, 11);
});

test('running with some slots completed: a scale up adds only the new slots; a scale down to the completed ones completes it', async () => {
  const f = fakeWatcher({ respawn: 'on-failure', numprocesses: 2, ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  await f.watcher.scale(3);
  assert.deepEqual(f.procs.slice(2).map((p) => p.spec.env.RINGMASTER_WID), ['3']);
  assert.deepEqual(f.watcher.status().completed?.map((c) => c.wid), [1]);
  await f.watcher.scale(1);
  await f.clock.advance(1_000);
  assert.equal(f.watcher.phase, 'completed');
  await f.watcher.stop();
  assert.equal(f.watcher.phase, 'stopped');
  assert.equal(f.watcher.status().completed?.length, 1, 'stop keeps what completed (shown), a start clears it');
  await f.watcher.start();
  assert.equal(f.watcher.status().completed, undefined);
});

test('a reload of a completed watcher takes the config and runs nothing', async () => {
  const f = fakeWatcher({ respawn: 'on-failure', ...quick });
  await f.watcher.start();
  f.live(1).exit({ kind: 'exited', code: 0 });
  await f.clock.advance(1_000);
  const r = await f.watcher.reconfigure({ ...f.watcher.config, graceful_timeout: 3 });
  assert.equal(r.kind, 'done');
  assert.equal(f.watcher.phase, 'completed');
  assert.equal(f.procs.length, 1);
  assert.equal(f.watcher.config.graceful_timeout, 3);
});
