// max_memory on fakes (fake-supervisor.ts) with a fake memory reader: two checks in a row
// over the limit replace a worker (its replacement first, then it stops), one spike does
// not, a replacement that never gets ready keeps the worker and is retried after a
// backoff, nothing is read when max_memory is off, the timer goes with stop().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryReader } from '../../src/supervisor/memory-watch.js';
import { fakeWatcher, settle, watcherConfig } from './fake-supervisor.js';

const MiB = 1024 * 1024;

/** A reader the test sets: bytes by pid (undefined: 10 MiB), and how many reads it served. */
function fakeReader(): MemoryReader & { rss: Map<number, number>; reads: number } {
  const r = {
    rss: new Map<number, number>(),
    reads: 0,
    residentBytes(pid: number): number | undefined {
      r.reads++;
      return r.rss.get(pid) ?? 10 * MiB;
    },
  };
  return r;
}

test('max_memory: a worker over the limit at two checks in a row is replaced, its replacement ready first; counted as a memory restart', async () => {
  const reader = fakeReader();
  const f = fakeWatcher({ numprocesses: 2, max_memory: 40 * MiB, memory_check_interval: 5 }, { memory: reader });
  await f.watcher.start();
  const old = f.live(2);
  reader.rss.set(old.pid as number, 70 * MiB);
  await f.clock.advance(5_000);
  assert.equal(f.procs.length, 2, 'replaced after one check');
  await f.clock.advance(5_000);
  assert.equal(f.procs.length, 3, 'no replacement after the second check');
  const fresh = f.procs[2];
  assert.equal(fresh?.spec.env.RINGMASTER_WID, '2');
  assert.equal(old.state.kind, 'exited');
  const recycle = f.of('worker.recycle');
  assert.deepEqual(
    recycle.map((e) => [e.wid, e.pid, e.reason, e.rssBytes, e.limitBytes, e.replacementPid]),
    [[2, old.pid, 'memory', 70 * MiB, 40 * MiB, fresh?.pid]],
  );
  // the order: replacement spawned and ready, then the old one's exit (stopped, not a failure)
  const seq = (type: string, pid: number | undefined) => f.events.find((e) => e.type === type && 'pid' in e && e.pid === pid)?.seq ?? -1;
  assert.ok(seq('worker.spawned', fresh?.pid) > 0);
  assert.ok(seq('worker.ready', fresh?.pid) < seq('worker.exited', old.pid), 'the old worker exited before its replacement was ready');
  assert.equal(f.of('worker.exited')[0]?.cause, 'stopped');
  assert.deepEqual(old.stops, ['SIGTERM']);
  const s = f.watcher.status();
  assert.deepEqual([s.running, s.restarts, s.restartsByReason, s.lastRestart?.reason, s.lastRestart?.wid], [2, 1, { exit: 0, memory: 1 }, 'memory', 2]);
  assert.deepEqual(s.maxMemory, { bytes: 40 * MiB });
  assert.equal(s.exits.stopped, 1);
  assert.equal(s.failuresInARow, 0);
  // the new worker is under the limit: nothing more
  await f.clock.advance(20_000);
  assert.equal(f.procs.length, 3);
  await f.watcher.stop();
  assert.equal(f.clock.pending, 0, 'a timer outlived stop()');
});

test('max_memory: one check over the limit (a spike) does not replace the worker', async () => {
  const reader = fakeReader();
  const f = fakeWatcher({ numprocesses: 1, max_memory: 40 * MiB, memory_check_interval: 1 }, { memory: reader });
  await f.watcher.start();
  const pid = f.live(1).pid as number;
  for (let i = 0; i < 5; i++) {
    reader.rss.set(pid, i % 2 === 0 ? 90 * MiB : 20 * MiB);
    await f.clock.advance(1_000);
  }
  assert.equal(f.procs.length, 1);
  assert.equal(f.of('worker.recycle').length, 0);
  // exactly at the limit is not above it
  reader.rss.set(pid, 40 * MiB);
  await f.clock.advance(3_000);
  assert.equal(f.procs.length, 1);
  await f.watcher.stop();
});

test('max_memory: a replacement that never gets ready keeps the old worker, and is tried again after a backoff', async () => {
  const reader = fakeReader();
  const f = fakeWatcher(
    { numprocesses: 1, max_memory: 40 * MiB, memory_check_interval: 1, ready: { kind: 'notify', timeout: 2 }, backoff_initial: 10, backoff_max: 10 },
    { memory: reader },
  );
  await f.watcher.start();
  const old = f.live(1);
  f.notifies.get(old.pid as number)?.queue.push({ ready: true });
  await f.clock.advance(20);
  reader.rss.set(old.pid as number, 70 * MiB);
  await f.clock.advance(2_000); // two checks: the replacement starts
  assert.equal(f.procs.length, 2);
  await f.clock.advance(3_000); // its readiness check gives up
  assert.equal(f.procs[1]?.state.kind, 'exited');
  assert.equal(old.state.kind, 'running', 'the old worker was stopped');
  assert.equal(f.of('worker.recycle').length, 0);
  assert.equal(f.watcher.status().restarts, 0);
  // still over the limit: no new try before the backoff (10 s) is over
  await f.clock.advance(5_000);
  assert.equal(f.procs.length, 2);
  await f.clock.advance(6_000);
  assert.equal(f.procs.length, 3, 'not tried again after the backoff');
  assert.equal(f.watcher.phase, 'running');
  await f.watcher.stop();
});

test('max_memory: at most max_surge replacements at once', async () => {
  const reader = fakeReader();
  const f = fakeWatcher({ numprocesses: 3, max_memory: 40 * MiB, memory_check_interval: 1, ready: { kind: 'notify', timeout: 30 } }, { memory: reader });
  await f.watcher.start();
  for (const wid of [1, 2, 3]) reader.rss.set(f.live(wid).pid as number, 70 * MiB);
  await f.clock.advance(2_000);
  assert.equal(f.procs.length, 4, 'more than max_surge (1) replacements started');
  await f.watcher.stop();
});

test('max_memory off: no read, no timer; a reload that sets it starts the checks', async () => {
  const reader = fakeReader();
  const f = fakeWatcher({ numprocesses: 2 }, { memory: reader });
  await f.watcher.start();
  await f.clock.advance(60_000);
  assert.equal(reader.reads, 0);
  assert.equal(f.clock.pending, 0);
  f.watcher.updateConfig(watcherConfig({ numprocesses: 2, max_memory: 40 * MiB, memory_check_interval: 5 }));
  await f.clock.advance(5_000);
  assert.equal(reader.reads, 2);
  // and a reload that unsets it stops them
  f.watcher.updateConfig(watcherConfig({ numprocesses: 2 }));
  await f.clock.advance(10_000);
  assert.equal(reader.reads, 2);
  assert.equal(f.clock.pending, 0);
  await f.watcher.stop();
  await settle();
});

test('max_memory: a worker whose process is gone between two reads is skipped, and a stopped watcher checks nothing', async () => {
  const reader = { reads: 0, residentBytes: (): number | undefined => (reader.reads++, undefined) };
  const f = fakeWatcher({ numprocesses: 1, max_memory: 40 * MiB, memory_check_interval: 1 }, { memory: reader });
  await f.watcher.start();
  await f.clock.advance(3_000);
  assert.equal(f.procs.length, 1);
  await f.watcher.stop();
  const reads = reader.reads;
  await f.clock.advance(10_000);
  assert.equal(reader.reads, reads);
  assert.equal(f.clock.pending, 0);
});
