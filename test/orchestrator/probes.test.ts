import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { renameSync, writeFileSync } from 'node:fs';
import { startRingmaster, FIXTURES, childPids, sleep, type Started } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { get, portFromLog } from '../helpers/http.js';

function httpUrl(rm: Started): string {
  const m = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr());
  assert.ok(m, rm.stderr());
  return m[1] as string;
}

function metric(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}${labels ? `{${labels}}` : ''} `) || (labels === '' && line.startsWith(`${name} `))) return Number(line.split(' ').pop());
  }
  return undefined;
}

test('probes: /livez, /readyz turns 200 once workers are ready and 503 at once on SIGTERM; metrics move', async () => {
  const t = tempDir();
  const cfg = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
  drain_delay: 2
sockets:
  web:
    host: 127.0.0.1
    port: 0
    backlog: 64
watchers:
  web:
    cmd: node ${FIXTURES}worker-http.mjs $(circus.sockets.web)
    use_sockets: true
    numprocesses: 1
    ready: {delay: 0.5}
`;
  const rm = startRingmaster(['-c', t.write('p.yaml', cfg)]);
  const held: Socket[] = [];
  try {
    await rm.waitStderr((s) => s.includes('http endpoint listening') && s.includes('worker started'));
    const base = httpUrl(rm);
    assert.equal((await get(`${base}/livez`)).status, 200);
    const early = await get(`${base}/readyz`);
    assert.equal(early.status, 503, early.body);
    assert.match(early.body, /web/);
    await rm.waitStderr((s) => s.includes('worker ready'));
    assert.equal((await get(`${base}/readyz`)).status, 200);
    assert.equal((await get(`${base}/healthz`)).status, 200);

    // a restart is counted
    const init = await rm.initPid();
    const [worker] = childPids(init);
    process.kill(worker as number, 'SIGKILL');
    await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= 2);
    let m = (await get(`${base}/metrics`)).body;
    assert.equal(metric(m, 'ringmaster_process_restarts_total', 'watcher="web",reason="exit"'), 1);
    assert.equal(metric(m, 'ringmaster_process_exits_total', 'watcher="web",reason="signaled"'), 1);
    assert.equal(metric(m, 'ringmaster_watcher_ready_processes', 'watcher="web"'), 1);

    // a blocked worker lets the accept queue grow
    const [w2] = childPids(init);
    process.kill(w2 as number, 'SIGSTOP');
    const port = portFromLog(rm.stderr(), 'web') as number;
    for (let i = 0; i < 4; i++) held.push(connect(port, '127.0.0.1'));
    await Promise.all(held.map((s) => new Promise((r) => s.once('connect', r))));
    await sleep(100);
    m = (await get(`${base}/metrics`)).body;
    assert.equal(metric(m, 'ringmaster_socket_accept_queue', 'socket="web"'), 4);
    // the kernel's value: this worker's own listen({fd}) set Node's default, 511, over the 64 configured
    assert.equal(metric(m, 'ringmaster_socket_accept_queue_max', 'socket="web"'), 511);
    process.kill(w2 as number, 'SIGCONT');
    for (const s of held) s.destroy();

    // shutting down: /readyz says 503 during the drain delay, while everything still runs
    process.kill(init, 'SIGTERM');
    await rm.waitStderr((s) => s.includes('draining'));
    const draining = await get(`${base}/readyz`);
    assert.equal(draining.status, 503);
    assert.equal((await rm.exit()).code, 0);
  } finally {
    for (const s of held) s.destroy();
    await rm.close();
    t.cleanup();
  }
});

test('a rolling restart whose new workers never get ready stops there: the old ones keep serving, status says why', async () => {
  const t = tempDir();
  const mk = (ok: string) => `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  app:
    cmd: node ${FIXTURES}flaky-ready.mjs
    numprocesses: 2
    ready: notify timeout=1
    env:
      READY_OK: "${ok}"
`;
  const path = t.write('f.yaml', mk('1'));
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= 2);
    const init = await rm.initPid();
    const before = childPids(init).sort();
    // Renamed into place, so that the file watch sees one change and reloads once (a write
    // in place and a `ctl reload` could each start a rollout of their own).
    writeFileSync(`${path}.new`, mk('0'));
    renameSync(`${path}.new`, path);
    await rm.waitStderr((s) => s.includes('rolling restart stopped'), 15_000);
    // the new worker that never got ready is being stopped: wait (bounded) until it is gone
    for (let i = 0; i < 100 && childPids(init).sort().join() !== before.join(); i++) await sleep(100);
    assert.deepEqual(childPids(init).sort(), before, 'old workers were replaced or lost');
    const st = JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as { watchers: Array<{ rollout?: { state: string; message: string } }> };
    assert.equal(st.watchers[0]?.rollout?.state, 'failed');
    assert.match(st.watchers[0]?.rollout?.message ?? '', /did not become ready/);
    // the old workers still serve: the pod stays in its Service, and /readyz says what failed
    const rz = await get(`${httpUrl(rm)}/readyz`);
    assert.equal(rz.status, 200);
    assert.match(rz.body, /rollout failed/);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
