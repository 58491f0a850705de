// The main command's gate over its sidecars, and how /readyz and `ctl status` show it and
// completed slots: pure functions of status snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sidecarGate } from '../../src/lifecycle/main-command.js';
import { readiness } from '../../src/http/readiness.js';
import { formatStatus } from '../../src/control/status-table.js';
import { snapshot, watcher } from '../helpers/snapshot.js';

const auto = (over: Parameters<typeof watcher>[1], name = 'side') => ({ autostart: true, status: watcher(name, over) });

test('sidecarGate: open when every autostart watcher is ready, completed or stopped; waiting names the others; FATAL shuts it', () => {
  assert.deepEqual(sidecarGate([]), { kind: 'open' });
  assert.deepEqual(sidecarGate([auto({ ready: 2 })]), { kind: 'open' });
  assert.deepEqual(sidecarGate([auto({ ready: 1 }), auto({ ready: 2 }, 'db')]), { kind: 'waiting', on: ['side'] });
  assert.deepEqual(sidecarGate([auto({ phase: 'waiting', ready: 0 }, 'web')]), { kind: 'waiting', on: ['web'] });
  assert.deepEqual(sidecarGate([auto({ ready: 1, completed: [{ wid: 2, code: 0, at: 0 }] })]), { kind: 'open' }, 'a completed slot is not missing');
  assert.deepEqual(sidecarGate([auto({ phase: 'completed', ready: 0 }), auto({ phase: 'stopped', ready: 0 }, 'off')]), { kind: 'open' });
  assert.deepEqual(sidecarGate([{ autostart: false, status: watcher('manual', { ready: 0 }) }]), { kind: 'open' }, 'autostart: false is not waited for');
  assert.deepEqual(sidecarGate([auto({ ready: 0 }), auto({ phase: 'fatal', fatalReason: '6 quick failures' }, 'bad')]), { kind: 'fatal', watcher: 'bad', reason: '6 quick failures' });
});

test('/readyz with a main command: 503 while it waits or after it exited, 200 while it runs; the body names it', () => {
  const w = [watcher('side')];
  const waiting = readiness(snapshot({ watchers: w, main: { command: ['app'], state: 'waiting', waitingFor: ['side'] } }));
  assert.equal(waiting.ok, false);
  assert.deepEqual(waiting.body.reasons, [{ reason: 'main command not started yet: waiting for side' }]);
  const running = readiness(snapshot({ watchers: w, main: { command: ['app'], state: 'running', pid: 42, startedAt: 0 } }));
  assert.equal(running.ok, true);
  assert.deepEqual(running.body.main, { state: 'running', pid: 42 });
  const exited = readiness(snapshot({ watchers: w, main: { command: ['app'], state: 'exited', exitCode: 3, reason: 'exited 3' } }));
  assert.equal(exited.ok, false);
  assert.deepEqual(exited.body.reasons, [{ reason: 'main command exited 3' }]);
  assert.equal(readiness(snapshot({ watchers: w })).body.main, undefined, 'no main command: no main in the body');
});

test('ctl status shows the main command and completed slots, and cleans what the command line holds', () => {
  const now = 1_700_000_010_000;
  const text = formatStatus(
    snapshot({
      watchers: [watcher('job', { phase: 'completed', ready: 0, running: 0, desired: 1, completed: [{ wid: 1, code: 3, at: now - 5000 }] })],
      main: { command: ['app', '--x\u001b[2J'], state: 'running', pid: 42, startedAt: now - 3000 },
    }),
    now,
  );
  assert.match(text, /^main: app --x\?\[2J: pid 42, running, up 3s$/m);
  assert.match(text, /^job\s+completed\s+0\/1/m);
  assert.match(text, /^  completed: wid 1 \(exit 3, 5s ago\)$/m);
  const skipped = formatStatus(snapshot({ main: { command: ['app'], state: 'skipped', reason: 'watcher side is FATAL: x' } }), now);
  assert.match(skipped, /^main: app: not started \(watcher side is FATAL: x\)$/m);
});
