import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatcherTally } from '../../src/supervisor/tally.js';
import type { EventInput } from '../../src/supervisor/events.js';

const exited = (wid: number, cause: 'stopped' | 'rollout' | 'shortage' | 'unexpected', reason: 'exited' | 'failed' | 'signaled' | 'spawn_failed' | 'stopped'): EventInput => ({
  type: 'worker.exited',
  watcher: 'w',
  wid,
  pid: 100 + wid,
  reason,
  cause,
  outcome: reason === 'spawn_failed' ? { kind: 'spawn-failed', code: 'EMFILE', message: 'x' } : { kind: 'exited', code: reason === 'exited' ? 0 : 1 },
});

test('a watcher counts exits by reason, restarts and the last exit from its events; a resource retry is no exit', () => {
  const t = new WatcherTally();
  const events: EventInput[] = [
    { type: 'worker.spawned', watcher: 'w', wid: 1, pid: 101 },
    exited(1, 'unexpected', 'failed'),
    { type: 'worker.respawn_scheduled', watcher: 'w', wid: 1, delaySeconds: 0 },
    { type: 'worker.respawning', watcher: 'w', wid: 1 },
    exited(2, 'shortage', 'spawn_failed'),
    exited(3, 'rollout', 'signaled'),
    exited(1, 'stopped', 'stopped'),
  ];
  events.forEach((e, i) => t.record(e, 1000 + i));
  assert.deepEqual(t.exits, { exited: 0, failed: 1, signaled: 1, oom: 0, spawn_failed: 0, stopped: 1 });
  assert.equal(t.restarts, 1);
  assert.deepEqual(t.lastExit, { wid: 1, outcome: { kind: 'exited', code: 1 }, at: 1006, reason: 'stopped' });
});
