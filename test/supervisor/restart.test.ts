import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { childPids, startRingmaster } from '../helpers/run.js';
import { ctl } from '../helpers/ctl.js';
import { tempDir } from '../helpers/config.js';
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
  const rm = startRingmaster(['-c', t.write('r.yaml', crashConfig(''))]);
  try {
    await rm.waitStderr((s) => s.includes('watcher is FATAL'));
    assert.equal((rm.stderr().match(/worker exited watcher=crash/g) ?? []).length, 4);
    assert.match(rm.stderr(), /respawning after backoff/);
    assert.match(rm.stderr(), /4 quick failures in a row \(max_retry = 3\)/);
    process.kill(await initOf(rm), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
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
    cmd: sh -c "sleep 0.3; exit 5"
    exit_on: exit
  server:
    cmd: sleep 60
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 5, rm.stderr());
    assert.match(rm.stderr(), /worker stopped watcher=server/);
  } finally {
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
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  try {
    await rm.waitStderr((s) => s.includes('worker exited watcher=once'));
    const init = await initOf(rm);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((rm.stderr().match(/worker started watcher=once/g) ?? []).length, 1);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
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
    assert.equal((await ctl(rm, ['stop', 'stubborn'])).code, 0);
    assert.match(rm.stderr(), /worker stopped watcher=stubborn wid=1 pid=\d+ signal=SIGKILL/);
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
  try {
    await rm.waitStderr((s) => s.includes('worker reached max_age'), 10_000);
    await rm.waitStderr((s) => (s.match(/worker started watcher=aging/g) ?? []).length >= 2);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
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
  try {
    await rm.waitStderr((s) => (s.match(/worker exited watcher=flaky/g) ?? []).length >= 4, 15_000);
    assert.doesNotMatch(rm.stderr(), /FATAL/);
    assert.doesNotMatch(rm.stderr(), /respawning after backoff/, 'each failure after a healthy run is a first failure: respawned at once');
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
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
