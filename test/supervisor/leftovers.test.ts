/**
 * What a worker leaves in its process group when its main process exits is stopped, as
 * systemd's KillMode=control-group does: the stop signal, then SIGKILL after the watcher's
 * graceful_timeout; the orphans are reaped by the init.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { stopLeftovers, type GroupSys } from '../../src/supervisor/leftovers.js';
import { FIXTURES, childPids, sleep, startRingmaster } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';

/** A process group as kill(2) sees it: its members, which signals end them (SIGKILL unless unkillable); `sent` has every signal tried on the group. */
function fakeGroup(pgid: number, members: Array<{ diesOn: NodeJS.Signals[]; unkillable?: boolean }>) {
  const left = new Set(members);
  const sent: string[] = [];
  let reused = false;
  const sys: GroupSys = {
    kill(pid, signal) {
      if (pid === pgid) return reused ? 'ok' : 'ESRCH';
      if (pid !== -pgid) return 'ESRCH';
      if (signal !== 0) sent.push(signal);
      if (left.size === 0) return 'ESRCH';
      for (const m of left) if (m.diesOn.includes(signal as NodeJS.Signals) || (signal === 'SIGKILL' && !m.unkillable)) left.delete(m);
      return 'ok';
    },
  };
  return { sys, sent, left, reuse: () => (reused = true) };
}

test('leftovers: an empty group is left alone', async () => {
  const g = fakeGroup(100, []);
  const l = stopLeftovers(100, { signal: 'SIGTERM', timeoutMs: 50, sys: g.sys });
  assert.equal(l.present, false);
  assert.deepEqual(await l.done, { kind: 'none' });
  assert.deepEqual(g.sent, []);
});

test('leftovers: members get the stop signal and SIGCONT, and no SIGKILL once they are gone', async () => {
  const g = fakeGroup(100, [{ diesOn: ['SIGTERM'] }, { diesOn: ['SIGTERM'] }]);
  const l = stopLeftovers(100, { signal: 'SIGTERM', timeoutMs: 10_000, pollMs: 5, sys: g.sys });
  assert.equal(l.present, true);
  assert.deepEqual(await l.done, { kind: 'stopped' });
  assert.deepEqual(g.sent, ['SIGTERM', 'SIGCONT']);
});

test('leftovers: a member that ignores the stop signal gets SIGKILL after the timeout', async () => {
  const g = fakeGroup(100, [{ diesOn: ['SIGTERM'] }, { diesOn: [] }]);
  const l = stopLeftovers(100, { signal: 'SIGTERM', timeoutMs: 30, pollMs: 5, sys: g.sys });
  assert.deepEqual(await l.done, { kind: 'killed' });
  assert.deepEqual(g.sent, ['SIGTERM', 'SIGCONT', 'SIGKILL']);
});

test('leftovers: a group that got the stop signal already (stop_children) does not get it twice', async () => {
  const g = fakeGroup(100, [{ diesOn: [] }]);
  const l = stopLeftovers(100, { signal: 'SIGTERM', alreadySent: true, timeoutMs: 30, pollMs: 5, sys: g.sys });
  assert.deepEqual(await l.done, { kind: 'killed' });
  assert.deepEqual(g.sent, ['SIGKILL']);
});

test('leftovers: kill() sends SIGKILL at once; a member that survives it is reported stuck', async () => {
  const g = fakeGroup(100, [{ diesOn: [], unkillable: true }]);
  const l = stopLeftovers(100, { signal: 'SIGTERM', timeoutMs: 60_000, killWaitMs: 30, pollMs: 5, sys: g.sys });
  l.kill();
  l.kill();
  assert.deepEqual(await l.done, { kind: 'stuck' });
  assert.deepEqual(g.sent, ['SIGTERM', 'SIGCONT', 'SIGKILL']);
});

test('leftovers: once a live process has the group id as its pid, the old group is gone and the new one is never signaled', async () => {
  const g = fakeGroup(100, [{ diesOn: [] }]);
  g.reuse();
  assert.equal(stopLeftovers(100, { signal: 'SIGTERM', timeoutMs: 30, sys: g.sys }).present, false);
  assert.deepEqual(g.sent, []);

  const h = fakeGroup(200, [{ diesOn: [] }]);
  const l = stopLeftovers(200, { signal: 'SIGTERM', timeoutMs: 50, pollMs: 5, sys: h.sys });
  h.reuse();
  assert.deepEqual(await l.done, { kind: 'stopped' });
  assert.deepEqual(h.sent, ['SIGTERM', 'SIGCONT'], 'no SIGKILL to the group that took the number');
});

const config = (args: string, graceful = 1) => `watchers:
  w:
    cmd: ${process.execPath} ${FIXTURES}leftovers.mjs ${args}
    graceful_timeout: ${graceful}
`;

const ups = (out: string): number => out.match(/^child \d+ up$/gm)?.length ?? 0;

async function gone(pids: number[], ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (pids.some((p) => existsSync(`/proc/${p}`))) {
    if (Date.now() > end) throw new Error(`still there after ${ms} ms: ${pids.filter((p) => existsSync(`/proc/${p}`)).join(' ')}`);
    await sleep(20);
  }
}

/**
 * Run `body` with a watcher of one leftovers.mjs worker, once its two children are up
 * (host pids); then SIGTERM ends the init with 0.
 */
async function withWorker(
  args: string,
  body: (x: { rm: ReturnType<typeof startRingmaster>; worker: number; children: number[] }) => Promise<void>,
): Promise<void> {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('r.yaml', config(args))]);
  try {
    await rm.waitStdout((s) => ups(s) >= 2);
    const init = await rm.initPid();
    const [worker] = childPids(init) as [number];
    const children = childPids(worker);
    assert.equal(children.length, 2, 'the fixture started two children');
    await body({ rm, worker, children });
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
}

test('a SIGKILLed worker: what it left in its process group gets the stop signal and is gone (reaped), and a replacement starts', async () => {
  await withWorker('2', async ({ rm, worker, children }) => {
    process.kill(worker, 'SIGKILL');
    await rm.waitStdout((s) => (s.match(/^child \d+ SIGTERM$/gm)?.length ?? 0) === 2);
    await gone(children);
    await rm.waitStderr((s) => s.includes("worker's leftovers are gone"));
    assert.match(rm.stderr(), /worker's process group outlived it: stopping what is left watcher=w wid=1 pgid=\d+ signal=SIGTERM/);
    await rm.waitStdout((s) => ups(s) >= 4);
    assert.equal(rm.stderr().match(/worker started watcher=w wid=1/g)?.length, 2);
  });
});

test('a SIGKILLed worker whose child ignores SIGTERM: that child gets SIGKILL after graceful_timeout', async () => {
  await withWorker('2 ignore', async ({ rm, worker, children }) => {
    process.kill(worker, 'SIGKILL');
    await rm.waitStdout((s) => /^child \d+ ignores SIGTERM$/m.test(s) && /^child \d+ SIGTERM$/m.test(s));
    await gone(children);
    await rm.waitStderr((s) => s.includes("worker's leftovers got SIGKILL after graceful_timeout"));
  });
});

test('ctl stop: the main process exits on SIGTERM at once, and the stop returns once its group is gone too', async () => {
  await withWorker('2 ignore', async ({ rm, children }) => {
    const r = await ctl(rm, ['stop', 'w']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(children.filter((p) => existsSync(`/proc/${p}`)), [], 'children left after the stop returned');
    assert.match(rm.stderr(), /worker's leftovers got SIGKILL after graceful_timeout/);
  });
});
