import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster, FIXTURES, sleep } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';

const CFG = `watchers:
  web:
    cmd: node ${FIXTURES}sigworker.mjs
    numprocesses: 2
  other:
    cmd: sleep 60
    priority: -1
`;

async function up(cfg = CFG) {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('c.yaml', cfg)]);
  await rm.waitStderr((s) => s.includes('all watchers started'));
  await rm.waitStdout((s) => (s.match(/ up/g) ?? []).length >= 2);
  return { t, rm };
}

interface Snap {
  phase: string;
  watchers: Array<{ name: string; desired: number; running: number; phase: string; workers: Array<{ pid: number; wid: number }> }>;
}
async function status(rm: Parameters<typeof ctl>[0]): Promise<Snap> {
  const r = await ctl(rm, ['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Snap;
}
const watcher = (s: Snap, name: string) => s.watchers.find((w) => w.name === name) as Snap['watchers'][number];

test('ctl: status, scale, incr/decr, stop/start, signal, restart, errors, quit', async () => {
  const { t, rm } = await up();
  try {
    let s = await status(rm);
    assert.equal(s.phase, 'running');
    assert.equal(watcher(s, 'web').running, 2);
    const table = await ctl(rm, ['status']);
    assert.match(table.stdout, /web\s+running\s+2\/2/);

    assert.equal((await ctl(rm, ['scale', 'web', '3'])).code, 0);
    s = await status(rm);
    assert.equal(watcher(s, 'web').desired, 3);
    assert.equal(watcher(s, 'web').running, 3);
    assert.equal((await ctl(rm, ['decr', 'web'])).code, 0);
    assert.equal((await ctl(rm, ['decr', 'web'])).code, 0);
    assert.equal((await ctl(rm, ['incr', 'web'])).code, 0);
    s = await status(rm);
    assert.equal(watcher(s, 'web').desired, 2);

    assert.equal((await ctl(rm, ['stop', 'other'])).code, 0);
    assert.equal(watcher(await status(rm), 'other').phase, 'stopped');
    assert.equal((await ctl(rm, ['start', 'other'])).code, 0);
    assert.equal(watcher(await status(rm), 'other').running, 1);

    assert.equal((await ctl(rm, ['signal', 'web', 'USR2'])).code, 0);
    await rm.waitStdout((o) => (o.match(/SIGUSR2/g) ?? []).length >= 2);

    const before = watcher(await status(rm), 'web').workers.map((w) => w.pid);
    assert.equal((await ctl(rm, ['restart', 'web'])).code, 0);
    const after = watcher(await status(rm), 'web').workers.map((w) => w.pid);
    assert.equal(after.length, 2);
    assert.ok(after.every((p) => !before.includes(p)), 'restart kept old workers');

    const bad = await ctl(rm, ['scale', 'wbe', '2']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr + bad.stdout, /unknown watcher "wbe": the watchers are web, other/);
    assert.equal((await ctl(rm, ['frobnicate'])).code, 64);

    assert.equal((await ctl(rm, ['quit'])).code, 0);
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('SIGTTIN and SIGTTOU scale the first watcher up and down', async () => {
  const { t, rm } = await up();
  try {
    const init = await rm.initPid();
    process.kill(init, 'SIGTTIN');
    await rm.waitStderr((s) => s.includes('scaled watcher=web numprocesses=3'));
    await rm.waitStdout((s) => (s.match(/ up/g) ?? []).length >= 3);
    process.kill(init, 'SIGTTOU');
    await rm.waitStderr((s) => s.includes('scaled watcher=web numprocesses=2'));
    await sleep(300);
    assert.equal(watcher(await status(rm), 'web').running, 2);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('scale_watcher: SIGTTIN and SIGTTOU scale the watcher it names', async () => {
  const { t, rm } = await up(`ringmaster:\n  scale_watcher: other\n${CFG}`);
  try {
    const init = await rm.initPid();
    process.kill(init, 'SIGTTIN');
    await rm.waitStderr((s) => s.includes('scaled watcher=other numprocesses=2'));
    let s = await status(rm);
    assert.equal(watcher(s, 'other').running, 2);
    assert.equal(watcher(s, 'web').desired, 2, 'the first watcher was scaled too');
    // One at a time: two of the same signal sent at once may arrive as one.
    process.kill(init, 'SIGTTOU');
    await rm.waitStderr((s) => s.includes('scaled watcher=other numprocesses=1'));
    process.kill(init, 'SIGTTOU');
    await rm.waitStderr((s) => s.includes('scaled watcher=other numprocesses=0'));
    s = await status(rm);
    assert.equal(watcher(s, 'other').desired, 0);
    assert.equal(watcher(s, 'web').desired, 2);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('ctl cannot reach a ringmaster: exit 69 and where it looked', async () => {
  const r = await ctl({ controlSocket: '/nonexistent/ctl.sock' } as Parameters<typeof ctl>[0], ['status']);
  assert.equal(r.code, 69);
  assert.match(r.stderr, /\/nonexistent\/ctl\.sock/);
});

/** One worker that ignores SIGTERM: each ctl stop takes its graceful_timeout (1 s). */
async function slowToStop() {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('c.yaml', `watchers:
  web:
    cmd: sh -c "trap '' TERM; echo up; while :; do sleep 0.1; done"
    graceful_timeout: 1
`)]);
  await rm.waitStdout((s) => s.includes('up'));
  return { t, rm };
}

test('ctl start during a slow ctl stop: the start waits for the stop, the stopped worker is no failure, one worker runs after', async () => {
  const { t, rm } = await slowToStop();
  try {
    const old = watcher(await status(rm), 'web').workers.map((w) => w.pid);
    const stopping = ctl(rm, ['stop', 'web']);
    // the stop must reach the init first (each ctl is a process of its own)
    await rm.waitStderr((s) => s.includes('control request cmd=stop '));
    const start = await ctl(rm, ['start', 'web']);
    assert.equal(start.code, 0, start.stderr);
    assert.equal((await stopping).code, 0);
    const s = await status(rm);
    const w = watcher(s, 'web') as Snap['watchers'][number] & { failuresInARow: number };
    assert.equal(w.phase, 'running');
    assert.equal(w.running, 1);
    assert.ok(!w.workers.some((x) => old.includes(x.pid)), 'the old worker is still there');
    assert.equal(w.failuresInARow, 0, 'the stopped worker counted as a failure');
    assert.doesNotMatch(rm.stderr(), /worker exited watcher=web/);
    process.kill(await rm.initPid(), 'SIGTERM');
    // Its own graceful_timeout ends the TERM-ignoring worker, well within the init's.
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('stop, start, stop while the first stop is slow: the last word is stop', async () => {
  const { t, rm } = await slowToStop();
  try {
    // Each ctl is a process of its own: under load, one started later can connect first.
    // The init's log of each request orders them.
    const requests = (cmd: string) => (rm.stderr().match(new RegExp(`control request cmd=${cmd} `, 'g')) ?? []).length;
    const first = ctl(rm, ['stop', 'web']);
    await rm.waitStderr(() => requests('stop') === 1);
    const start = ctl(rm, ['start', 'web']);
    await rm.waitStderr(() => requests('start') === 1);
    const second = await ctl(rm, ['stop', 'web']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((await first).code, 0);
    assert.equal((await start).code, 0);
    await sleep(300);
    const w = watcher(await status(rm), 'web');
    assert.equal(w.phase, 'stopped');
    assert.equal(w.running, 0);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
