import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { childPids, startRingmaster } from '../helpers/run.js';
import { ctl } from '../helpers/ctl.js';
import { tempDir } from '../helpers/config.js';
import { collectEvents, eventsAfter } from '../helpers/events.js';
import { backoffDelay } from '../../src/supervisor/backoff.js';

test('backoff: first quick failure respawns at once, then grows by the multiplier up to the cap, with jitter', () => {
  const p = { initial: 0.1, multiplier: 2, max: 1, jitter: 0 };
  assert.equal(backoffDelay(1, p), 0);
  assert.equal(backoffDelay(2, p), 0.1);
  assert.equal(backoffDelay(3, p), 0.2);
  assert.equal(backoffDelay(4, p), 0.4);
  assert.equal(backoffDelay(10, p), 1);
  const j = { ...p, jitter: 0.5 };
  assert.equal(backoffDelay(3, j, () => 0), 0.1);
  assert.equal(backoffDelay(3, j, () => 1), 0.30000000000000004);
});

function crashConfig(extra: string): string {
  return `watchers:
  crash:
    cmd: sh -c "exit 3"
    max_retry: 3
    backoff_initial: 0.05
    backoff_max: 0.2
${extra}`;
}

test('a crash-looping watcher goes FATAL after max_retry quick failures and says so', async () => {
  const t = tempDir();
  // started by ctl once the events stream: its first exits come at once
  const rm = startRingmaster(['-c', t.write('r.yaml', crashConfig('    autostart: false\n'))]);
  const events = await eventsAfter(rm, () => initOf(rm));
  try {
    assert.equal((await ctl(rm, ['start', 'crash'])).code, 0);
    const fatal = await events.waitFor('watcher.fatal', (e) => e.watcher === 'crash');
    assert.match(fatal.reason, /4 quick failures in a row \(max_retry = 3\)/);
    const exits = events.all('worker.exited', (e) => e.watcher === 'crash' && e.seq < fatal.seq);
    assert.deepEqual(exits.map((e) => [e.cause, e.reason]), Array(4).fill(['unexpected', 'failed']));
    // at once after the first failure, then with backoff; none after the fourth
    const delays = events.all('worker.respawn_scheduled', (e) => e.seq < fatal.seq).map((e) => e.delaySeconds);
    assert.equal(delays.length, 3, JSON.stringify(delays));
    assert.equal(delays[0], 0);
    assert.ok(delays.slice(1).every((d) => d > 0), JSON.stringify(delays));
    assert.match(rm.stderr(), /respawning after backoff/);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});

test('exit_on: fatal ends the init with the failing code', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('r.yaml', crashConfig('    exit_on: fatal\n'))]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 3, rm.stderr());
    assert.match(rm.stderr(), /is FATAL and exit_on = fatal/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('exit_on: exit ends the init as soon as a worker exits, with its status, stopping the others', async () => {
  const t = tempDir();
  const cfg = `watchers:
  job:
    cmd: sh -c "exit 5"
    exit_on: exit
    autostart: false
  server:
    cmd: sleep 60
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  const events = await eventsAfter(rm, () => initOf(rm));
  try {
    await ctl(rm, ['start', 'job']);
    const r = await rm.exit();
    assert.equal(r.code, 5, rm.stderr());
    assert.equal((await events.ctl.exit()).code, 0);
    const exited = events.all('worker.exited', (e) => e.watcher === 'job' && e.cause === 'unexpected');
    assert.deepEqual(exited.map((e) => e.outcome), [{ kind: 'exited', code: 5 }]);
    assert.equal(events.all('worker.exited', (e) => e.watcher === 'server' && e.cause === 'stopped').length, 1);
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});

test('respawn = false: an exited worker stays down', async () => {
  const t = tempDir();
  const cfg = `watchers:
  once:
    cmd: sh -c "exit 0"
    respawn: false
    autostart: false
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  const events = await eventsAfter(rm, () => initOf(rm));
  try {
    await ctl(rm, ['start', 'once']);
    await events.waitFor('worker.exited', (e) => e.watcher === 'once');
    // Up to the end of the stream (the init's exit), every event is in: one start, no respawn.
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
    assert.equal((await events.ctl.exit()).code, 0);
    assert.equal(events.all('worker.spawned').length, 1);
    assert.deepEqual(events.all('worker.respawn_scheduled'), []);
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});

test('a worker that ignores its stop signal is killed after graceful_timeout, with its process group', async () => {
  const t = tempDir();
  const cfg = `watchers:
  stubborn:
    cmd: sh -c "trap '' TERM; sleep 60 & wait; wait"
    graceful_timeout: 0.5
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  try {
    const init = await initOf(rm);
    // The worker's own child (sleep 60), in the worker's process group.
    let grandchild: number | undefined;
    for (let i = 0; i < 100 && grandchild === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      grandchild = childPids(childPids(init)[0] ?? 0)[0];
    }
    assert.ok(grandchild, 'the worker started no child');
    const events = await collectEvents(rm);
    try {
      assert.equal((await ctl(rm, ['stop', 'stubborn'])).code, 0);
      const stopped = await events.waitFor('worker.exited', (e) => e.watcher === 'stubborn');
      assert.deepEqual([stopped.cause, stopped.outcome], ['stopped', { kind: 'signaled', signal: 'SIGKILL', number: 9 }]);
    } finally {
      await events.close();
    }
    // Gone, or a zombie on its way to the init's reaper: either way the SIGKILL reached it.
    const alive = (): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${grandchild}/stat`, 'latin1'));
      } catch {
        return false;
      }
    };
    assert.equal(alive(), false, 'the SIGKILL missed the rest of the process group');
    process.kill(init, 'SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

async function initOf(rm: ReturnType<typeof startRingmaster>): Promise<number> {
  await rm.waitStderr((s) => s.includes('all watchers started'));
  return rm.initPidNow();
}

test('max_age recycles a worker: stopped gracefully, then respawned', async () => {
  const t = tempDir();
  const cfg = `watchers:
  aging:
    cmd: sleep 60
    max_age: 1
    max_age_variance: 0
`;
  const rm = startRingmaster(['-c', t.write('age.yaml', cfg)]);
  const events = await eventsAfter(rm, () => initOf(rm));
  try {
    const recycled = await events.waitFor('worker.exited', (e) => e.watcher === 'aging', { ms: 10_000 });
    assert.deepEqual(recycled.outcome, { kind: 'signaled', signal: 'SIGTERM', number: 15 });
    await events.waitFor('worker.spawned', (e) => e.wid === recycled.wid, { after: recycled.seq });
    assert.match(rm.stderr(), /worker reached max_age/);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});

test('backoff_reset: a worker that ran long enough before failing starts the count again, so it never goes FATAL', async () => {
  const t = tempDir();
  const cfg = `watchers:
  flaky:
    cmd: sh -c "sleep 0.3; exit 3"
    max_retry: 1
    backoff_reset: 0.2
    backoff_initial: 0.05
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  const events = await eventsAfter(rm, () => initOf(rm));
  try {
    await events.waitFor('worker.respawn_scheduled', () => events.all('worker.respawn_scheduled').length >= 4, { ms: 15_000 });
    assert.deepEqual(events.all('watcher.fatal'), []);
    const delays = events.all('worker.respawn_scheduled').map((e) => e.delaySeconds);
    assert.ok(delays.every((d) => d === 0), `each failure after a healthy run is a first failure: respawned at once (${delays.join(', ')})`);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});

test('a shutdown that runs past the global graceful_timeout kills what is left and exits 1', async () => {
  const t = tempDir();
  const cfg = `ringmaster:
  graceful_timeout: 1
watchers:
  stubborn:
    cmd: sh -c "trap '' TERM; while :; do sleep 0.1; done"
    graceful_timeout: 60
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  try {
    process.kill(await initOf(rm), 'SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 1, rm.stderr());
    assert.match(rm.stderr(), /graceful_timeout over: killing what is left/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
