import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster, FIXTURES, sleep } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { collectEvents } from '../helpers/events.js';
import { parseNotify } from '../../src/supervisor/notify.js';
import { sockets, socketFd, watchdogInterval, notify } from '../../src/worker/index.js';

test('notify messages parse as systemd does', () => {
  assert.deepEqual(parseNotify('READY=1\nSTATUS=serving 3 requests\nMAINPID=42\nX_CUSTOM=1'), {
    ready: true,
    stopping: false,
    watchdog: false,
    status: 'serving 3 requests',
    mainPid: 42,
  });
  assert.equal(parseNotify('READY=0').ready, false);
  assert.equal(parseNotify('WATCHDOG=1').watchdog, true);
  assert.equal(parseNotify('STOPPING=1').stopping, true);
});

test('worker library: inherited sockets by name, LISTEN_PID respected, no NOTIFY_SOCKET is a no-op', async () => {
  const env = { LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:admin' };
  assert.deepEqual(sockets(env), [
    { name: 'web', fd: 3 },
    { name: 'admin', fd: 4 },
  ]);
  assert.equal(socketFd('admin', env), 4);
  assert.equal(socketFd(undefined, env), 3);
  assert.deepEqual(sockets({ ...env, LISTEN_PID: String(process.pid + 1) }), []);
  assert.equal(watchdogInterval({ WATCHDOG_USEC: '2000000' }), 1000);
  assert.equal(watchdogInterval({}), undefined);
  assert.equal(await notify('READY=1', {}), false);
});

function cfg(ready: string, extra = '', env = ''): string {
  return `watchers:
  w:
    cmd: node ${FIXTURES}notify-worker.mjs
    ready: ${ready}
${extra}${env ? `    env:\n${env}` : ''}`;
}

test('ready: notify — a worker is ready only once it sends READY=1', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('n.yaml', cfg('notify', '', '      NOTIFY_DELAY_MS: "400"\n'))]);
  try {
    await rm.waitStderr((s) => s.includes('worker started'));
    assert.doesNotMatch(rm.stderr(), /worker ready/);
    await rm.waitStdout((s) => s.includes('notified'));
    await rm.waitStderr((s) => s.includes('worker ready'));
    // ready is logged after READY=1, never before
    assert.ok(rm.stderr().indexOf('worker ready') > rm.stderr().indexOf('worker started'));
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('ready: notify with a timeout — a worker that never says READY=1 is reported', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('n.yaml', cfg('notify timeout=0.5', '', '      NOTIFY_NEVER: "1"\n'))]);
  try {
    await rm.waitStderr((s) => s.includes('worker did not become ready in time'));
    assert.doesNotMatch(rm.stderr(), /worker ready/);
    process.kill(await rm.initPid(), 'SIGTERM');
    await rm.exit();
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('ready: delay and ready: http', async () => {
  const t = tempDir();
  const yaml = `sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  slow:
    cmd: sleep 60
    ready: {delay: 0.3}
  web:
    cmd: node ${FIXTURES}worker-http.mjs $(circus.sockets.web)
    use_sockets: true
    ready: {http: "http://127.0.0.1:$(circus.sockets.web.port)/", timeout: 10}
`;
  const rm = startRingmaster(['-c', t.write('d.yaml', yaml)]);
  try {
    await rm.waitStderr((s) => s.includes('worker ready watcher=slow') && s.includes('worker ready watcher=web'));
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('watchdog_sec: a worker that stops pinging is restarted; one that pings is left alone', async () => {
  const t = tempDir();
  const yaml = `watchers:
  hung:
    cmd: node ${FIXTURES}notify-worker.mjs
    ready: notify
    watchdog_sec: 0.5
    graceful_timeout: 1
    autostart: false
    env:
      NOTIFY_DELAY_MS: "50"
      WATCHDOG_STOP_MS: "700"
  fine:
    cmd: node ${FIXTURES}notify-worker.mjs
    ready: notify
    watchdog_sec: 0.5
    autostart: false
    env:
      NOTIFY_DELAY_MS: "50"
`;
  const rm = startRingmaster(['-c', t.write('w.yaml', yaml)]);
  // Both start once the event stream is up (autostart: false), so it has their whole lives.
  await rm.waitStderr((s) => s.includes('all watchers started'));
  const events = await collectEvents(rm);
  try {
    assert.equal((await ctl(rm, ['start', 'fine'])).code, 0);
    assert.equal((await ctl(rm, ['start', 'hung'])).code, 0);
    const first = await events.waitFor('worker.spawned', (e) => e.watcher === 'hung');
    // hung stops pinging 700 ms in and is restarted; by its replacement's own restart, fine
    // has lived through several of its 0.5 s watchdog windows.
    const replaced = await events.waitFor('worker.spawned', (e) => e.watcher === 'hung', { after: first.seq });
    await events.waitFor('worker.spawned', (e) => e.watcher === 'hung', { after: replaced.seq });
    assert.match(rm.stderr(), /watchdog: no WATCHDOG=1 in time.*watcher=hung/);
    assert.ok(events.all('worker.exited', (e) => e.watcher === 'hung').length >= 2);
    assert.doesNotMatch(rm.stderr(), /watchdog: .*watcher=fine/);
    assert.deepEqual(events.all('worker.exited', (e) => e.watcher === 'fine'), []);
    assert.equal(events.all('worker.spawned', (e) => e.watcher === 'fine').length, 1);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await events.close();
    await rm.close();
    t.cleanup();
  }
});

test('two ringmasters as PID 1 of their own namespaces on one network (the containers of a pod): same watcher name, both notify channels work', async () => {
  const t = tempDir();
  const path = t.write('n.yaml', cfg('notify'));
  const a = startRingmaster(['-c', path]);
  const b = startRingmaster(['-c', path]);
  try {
    await a.waitStderr((s) => s.includes('worker ready'));
    await b.waitStderr((s) => s.includes('worker ready'));
    for (const rm of [a, b]) {
      assert.doesNotMatch(rm.stderr(), /EADDRINUSE|internal error/);
      process.kill(await rm.initPid(), 'SIGTERM');
      assert.equal((await rm.exit()).code, 0);
    }
  } finally {
    await a.close();
    await b.close();
    t.cleanup();
  }
});

test('every worker gets a NOTIFY_SOCKET, whatever its ready check: STATUS= and MAINPID= show in ctl status', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('n.yaml', cfg('none', '', '      NOTIFY_DELAY_MS: "50"\n      NOTIFY_MAINPID: "1"\n'))]);
  try {
    await rm.waitStdout((s) => s.includes('notified'));
    let w: { pid: number; statusText?: string; mainPid?: number } | undefined;
    for (let i = 0; i < 60 && w?.statusText === undefined; i++) {
      await sleep(100);
      const r = await ctl(rm, ['status', '--json']);
      w = (JSON.parse(r.stdout) as { watchers: Array<{ workers: Array<typeof w> }> }).watchers[0]?.workers[0];
    }
    assert.equal(w?.statusText, 'up after 50 ms');
    assert.equal(w?.mainPid, w?.pid);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('STOPPING=1 from a worker takes it out of the ready count', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('n.yaml', cfg('notify', '', '      NOTIFY_DELAY_MS: "50"\n      NOTIFY_STOPPING_ON_USR1: "1"\n'))]);
  try {
    await rm.waitStderr((s) => s.includes('worker ready'));
    const ready = async (): Promise<number> => (JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as { watchers: Array<{ ready: number }> }).watchers[0]?.ready ?? -1;
    assert.equal(await ready(), 1);
    assert.equal((await ctl(rm, ['signal', 'w', 'USR1'])).code, 0);
    await rm.waitStderr((s) => s.includes('worker is stopping'));
    assert.equal(await ready(), 0);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
