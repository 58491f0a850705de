import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readiness } from '../../src/http/server.js';
import type { InitSnapshot } from '../../src/lifecycle/api.js';
import { snapshot, watcher } from './fake.js';

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
