import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveness, readiness } from '../../src/http/server.js';
import { SHORTAGE_LIVENESS_MS } from '../../src/http/readiness.js';
import type { InitSnapshot } from '../../src/lifecycle/api.js';
import { snapshot, watcher } from '../helpers/snapshot.js';
import type { TaskStatus } from '../../src/supervisor/task-tally.js';

function task(name: string, over: Partial<TaskStatus> = {}): TaskStatus {
  return { name, when: 'start', state: 'succeeded', runs: 1, runsByResult: { success: 1, failure: 0, timeout: 0, 'spawn-failed': 0 }, skipped: 0, ...over };
}

const CASES: Array<{ name: string; snap: InitSnapshot; ok: boolean; reasons?: unknown[]; warnings?: unknown[] }> = [
  { name: 'running, no watchers', snap: snapshot(), ok: true },
  { name: 'every watcher has its ready workers', snap: snapshot({ watchers: [watcher('web'), watcher('jobs', { desired: 1, ready: 3 })] }), ok: true },
  {
    name: 'one watcher short of ready workers',
    snap: snapshot({ watchers: [watcher('web', { ready: 1 }), watcher('jobs')] }),
    ok: false,
    reasons: [{ watcher: 'web', reason: 'not enough ready workers: 1 of 2' }],
  },
  {
    name: 'running but not ready counts as not ready',
    snap: snapshot({ watchers: [watcher('web', { running: 2, ready: 0 })] }),
    ok: false,
    reasons: [{ watcher: 'web', reason: 'not enough ready workers: 0 of 2' }],
  },
  {
    name: 'a fatal watcher',
    snap: snapshot({ watchers: [watcher('web', { phase: 'fatal', ready: 0, running: 0, fatalReason: 'exited 6 times in a row (code 1)' })] }),
    ok: false,
    reasons: [{ watcher: 'web', reason: 'FATAL: exited 6 times in a row (code 1)' }],
  },
  {
    name: 'a stopped watcher (ctl stop) does not count',
    snap: snapshot({ watchers: [watcher('web'), watcher('jobs', { phase: 'stopped', running: 0, ready: 0 })] }),
    ok: true,
  },
  {
    name: 'a stopping watcher does not count',
    snap: snapshot({ watchers: [watcher('jobs', { phase: 'stopping', ready: 0 })] }),
    ok: true,
  },
  { name: 'desired 0 does not count', snap: snapshot({ watchers: [watcher('web', { desired: 0, running: 0, ready: 0 })] }), ok: true },
  {
    name: 'a failed rollout with the old workers serving: ready, with a warning',
    snap: snapshot({ watchers: [watcher('web', { rollout: { state: 'failed', message: 'worker 3 not ready after 30 s', at: 1 } })] }),
    ok: true,
    warnings: [{ watcher: 'web', reason: 'rollout failed: worker 3 not ready after 30 s' }],
  },
  {
    name: 'a failed rollout and too few ready workers: the reason names the rollout',
    snap: snapshot({ watchers: [watcher('web', { ready: 1, rollout: { state: 'failed', message: 'worker 3 not ready after 30 s', at: 1 } })] }),
    ok: false,
    reasons: [{ watcher: 'web', reason: 'not enough ready workers: 1 of 2; rollout failed: worker 3 not ready after 30 s' }],
  },
  {
    name: 'a watcher retrying after resource errors: the reason names the error',
    snap: snapshot({ watchers: [watcher('web', { ready: 1, running: 1, shortage: { error: 'EMFILE', since: Date.UTC(2026, 0, 1), tries: 7 } })] }),
    ok: false,
    reasons: [{ watcher: 'web', reason: 'not enough ready workers: 1 of 2; cannot start workers: EMFILE (out of a system resource), retrying since 2026-01-01T00:00:00.000Z (7 tries)' }],
  },
  { name: 'every start task succeeded; stop and scheduled tasks do not count', snap: snapshot({ tasks: [task('migrate'), task('cleanup', { when: 'stop', state: 'pending' }), task('backup', { when: 'schedule', state: 'failed' })] }), ok: true },
  {
    name: 'a start task running, another waiting, a third retrying',
    snap: snapshot({
      tasks: [
        task('migrate', { state: 'running', attempt: 2 }),
        task('seed', { state: 'waiting', waitingFor: ['migrate'] }),
        task('warm', { state: 'retrying', lastRun: { result: 'failure', status: 3, durationMs: 1, finishedAt: 1, attempt: 1, scheduled: false } }),
      ],
    }),
    ok: false,
    reasons: [
      { task: 'migrate', reason: 'start task running (attempt 2)' },
      { task: 'seed', reason: 'start task waiting for its dependencies: migrate' },
      { task: 'warm', reason: 'start task failed (status 3), retrying' },
    ],
  },
  {
    name: 'a watcher waiting for its dependencies',
    snap: snapshot({ watchers: [watcher('db', { phase: 'stopped', running: 0, ready: 0 }), watcher('web', { phase: 'waiting', running: 0, ready: 0, waitingFor: ['db'] })] }),
    ok: false,
    reasons: [{ watcher: 'web', reason: 'waiting for its dependencies: db' }],
  },
  { name: 'starting', snap: snapshot({ phase: 'starting', watchers: [watcher('web', { ready: 0 })] }), ok: false, reasons: [{ reason: 'starting' }, { watcher: 'web', reason: 'not enough ready workers: 0 of 2' }] },
  { name: 'draining: 503 at once though every worker is ready', snap: snapshot({ phase: 'draining', watchers: [watcher('web')] }), ok: false, reasons: [{ reason: 'shutting down (draining)' }] },
  { name: 'stopping', snap: snapshot({ phase: 'stopping' }), ok: false, reasons: [{ reason: 'shutting down (stopping)' }] },
  { name: 'closing', snap: snapshot({ phase: 'closing' }), ok: false, reasons: [{ reason: 'shutting down (closing)' }] },
  { name: 'done', snap: snapshot({ phase: 'done' }), ok: false, reasons: [{ reason: 'shutting down (done)' }] },
];

for (const c of CASES) {
  test(`readiness: ${c.name}`, () => {
    const r = readiness(c.snap);
    assert.equal(r.ok, c.ok);
    const body = r.body as { status: string; phase: string; reasons?: unknown[]; warnings?: unknown[] };
    assert.equal(body.status, c.ok ? 'ready' : 'not ready');
    assert.equal(body.phase, c.snap.phase);
    assert.deepEqual(body.reasons, c.reasons);
    assert.deepEqual(body.warnings, c.warnings);
  });
}

test('readiness: the body lists ready/desired of the watchers that should serve', () => {
  const r = readiness(snapshot({ watchers: [watcher('web', { ready: 1 }), watcher('jobs', { phase: 'stopped' })] }));
  assert.deepEqual((r.body as { watchers: unknown }).watchers, { web: { ready: 1, desired: 2 } });
});

const T0 = Date.UTC(2026, 0, 1);
const short = (sinceMs: number) => watcher('web', { running: 1, ready: 1, shortage: { error: 'EMFILE', since: T0 - sinceMs, tries: 3 } });
const LIVENESS: Array<{ name: string; snap: InitSnapshot; ok: boolean; body: string }> = [
  { name: 'every watcher at its count', snap: snapshot({ watchers: [watcher('web')] }), ok: true, body: 'ok\n' },
  { name: 'a watcher short of ready workers, still restarting them', snap: snapshot({ watchers: [watcher('web', { ready: 0, running: 0 })] }), ok: true, body: 'ok\n' },
  {
    name: 'a FATAL watcher gave up: only a restart brings it back',
    snap: snapshot({ watchers: [watcher('web'), watcher('jobs', { phase: 'fatal', running: 0, ready: 0, fatalReason: '6 quick failures in a row' })] }),
    ok: false,
    body: 'not alive\nwatcher jobs: FATAL: 6 quick failures in a row\n',
  },
  { name: 'a FATAL watcher scaled to 0 does not count', snap: snapshot({ watchers: [watcher('web', { phase: 'fatal', desired: 0 })] }), ok: true, body: 'ok\n' },
  {
    name: 'retrying after resource errors: alive, and named',
    snap: snapshot({ watchers: [short(1_000)] }),
    ok: true,
    body: 'ok\nwatcher web: 1 of 2 workers, cannot start workers: EMFILE (out of a system resource), retrying since 2025-12-31T23:59:59.000Z (3 tries)\n',
  },
  {
    name: 'retrying after resource errors for longer than the grace: not alive',
    snap: snapshot({ watchers: [short(SHORTAGE_LIVENESS_MS)] }),
    ok: false,
    body: `not alive\nwatcher web: 1 of 2 workers, cannot start workers: EMFILE (out of a system resource), retrying since ${new Date(T0 - SHORTAGE_LIVENESS_MS).toISOString()} (3 tries)\n`,
  },
  { name: 'shutting down: only the event loop counts', snap: snapshot({ phase: 'stopping', watchers: [watcher('web', { phase: 'fatal' })] }), ok: true, body: 'ok\n' },
];

for (const c of LIVENESS) {
  test(`liveness: ${c.name}`, () => {
    assert.deepEqual(liveness(c.snap, T0), { ok: c.ok, body: c.body });
  });
}
