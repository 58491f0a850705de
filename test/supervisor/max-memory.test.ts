// max_memory with real processes, ringmaster as PID 1 of a PID namespace: a worker that
// grows past the limit is replaced, its replacement ready before it stops (from ctl
// events), so the ready workers never drop below numprocesses; counted as a restart with
// reason memory in ctl status and /metrics. With HTTP workers under load, no request fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RingmasterEvent } from '../../src/supervisor/events.js';
import { ctl } from '../helpers/ctl.js';
import { tempDir } from '../helpers/config.js';
import { collectEvents } from '../helpers/events.js';
import { get, hammer } from '../helpers/http.js';
import { FIXTURES, startRingmaster, type Started } from '../helpers/run.js';

const MiB = 1024 * 1024;

/** The smallest number of ready workers of `watcher` once `from` were ready, replaying the events. */
function fewestReady(events: readonly RingmasterEvent[], watcher: string, from: number): number {
  const ready = new Set<number>();
  let fewest = Infinity;
  let full = false;
  for (const e of events) {
    if (!('watcher' in e) || e.watcher !== watcher || !('pid' in e) || e.pid === undefined) continue;
    if (e.type === 'worker.ready') ready.add(e.pid);
    else if (e.type === 'worker.exited' || e.type === 'worker.unready') ready.delete(e.pid);
    else continue;
    if (ready.size >= from) full = true;
    if (full) fewest = Math.min(fewest, ready.size);
  }
  return fewest;
}

interface MemStatus {
  watchers: Array<{ name: string; restarts: number; restartsByReason?: Record<string, number>; lastRestart?: { reason: string; wid: number }; exits: Record<string, number> }>;
}

async function statusOf(rm: Started, name: string): Promise<MemStatus['watchers'][number] | undefined> {
  const r = await ctl(rm, ['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as MemStatus).watchers.find((w) => w.name === name);
}

// Grows past 64 MiB (1 MiB every 10 ms, touched) when it is the first to create the
// marker, then holds; every other worker (its replacement too) stays at a few MiB.
const PERL_HOG = (marker: string) =>
  `perl -e 'use Fcntl; my @a; if (sysopen(my $f, "${marker}", O_CREAT|O_EXCL|O_WRONLY)) { for (1..80) { push @a, "x" x (1 << 20); select(undef, undef, undef, 0.01) } } sleep 1000'`;

test('max_memory 40Mi as PID 1: a perl worker that grows past 64 MiB is replaced, its replacement ready first; counted with reason memory', { timeout: 60_000 }, async () => {
  const t = tempDir();
  const cfg = t.write(
    'r.yaml',
    `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  hog:
    cmd: ${JSON.stringify(PERL_HOG(join(t.dir, 'grown')))}
    numprocesses: 2
    autostart: false
    ready: {delay: 0.3}
    max_memory: 40Mi
    memory_check_interval: 0.2
`,
  );
  const rm = startRingmaster(['-c', cfg]);
  let events: Awaited<ReturnType<typeof collectEvents>> | undefined;
  try {
    await rm.waitStderr((s) => s.includes('http endpoint listening'), 20_000);
    events = await collectEvents(rm);
    assert.equal((await ctl(rm, ['start', 'hog'])).code, 0);
    const recycle = await events.waitFor('worker.recycle', (e) => e.watcher === 'hog', { ms: 30_000 });
    assert.equal(recycle.reason, 'memory');
    assert.equal(recycle.limitBytes, 40 * MiB);
    assert.ok(recycle.rssBytes > 40 * MiB, String(recycle.rssBytes));
    const old = await events.waitFor('worker.exited', (e) => e.pid === recycle.pid);
    assert.equal(old.cause, 'stopped');
    assert.equal(old.reason, 'stopped');
    const fresh = events.all('worker.ready', (e) => e.pid === recycle.replacementPid)[0];
    assert.ok(fresh, 'the replacement never got ready');
    assert.equal(fresh.wid, recycle.wid);
    assert.ok(fresh.seq < old.seq, 'the old worker stopped before its replacement was ready');
    assert.equal(fewestReady(events.events, 'hog', 2), 2, 'capacity dipped below 2 ready workers');

    const s = await statusOf(rm, 'hog');
    assert.deepEqual([s?.restarts, s?.restartsByReason, s?.lastRestart?.reason, s?.lastRestart?.wid], [1, { exit: 0, memory: 1 }, 'memory', recycle.wid]);
    const text = await ctl(rm, ['status']);
    assert.match(text.stdout, /max_memory: 40 MiB/);
    assert.match(text.stdout, new RegExp(`last restart: wid ${recycle.wid} replaced for max_memory \\(RSS [\\d.]+ MiB > 40 MiB\\), .* ago; 1 so far`));
    const url = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1];
    const metrics = (await get(`${url}/metrics`)).body;
    assert.match(metrics, /^ringmaster_process_restarts_total\{watcher="hog",reason="memory"\} 1$/m);
    assert.match(metrics, /^ringmaster_process_restarts_total\{watcher="hog",reason="exit"\} 0$/m);
    assert.match(rm.stderr(), /worker above max_memory for two checks in a row: replaced .*watcher=hog .*reason=memory/);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await events?.close();
    await rm.close();
    t.cleanup();
  }
});

test('max_memory under load: an HTTP worker that leaks past the limit is replaced with no failed request', { timeout: 90_000 }, async () => {
  const t = tempDir();
  const cfg = t.write(
    'r.yaml',
    `sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  web:
    cmd: node ${FIXTURES}worker-leak.mjs $(circus.sockets.web) ${join(t.dir, 'grown')} 240
    use_sockets: true
    numprocesses: 2
    autostart: false
    ready: {delay: 0.3}
    max_memory: 160Mi
    memory_check_interval: 0.25
`,
  );
  const rm = startRingmaster(['-c', cfg]);
  let events: Awaited<ReturnType<typeof collectEvents>> | undefined;
  let load: ReturnType<typeof hammer> | undefined;
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'), 20_000);
    events = await collectEvents(rm);
    assert.equal((await ctl(rm, ['start', 'web'])).code, 0);
    await events.waitFor('worker.ready', (e) => e.watcher === 'web');
    const port = /socket listening socket=web url=tcp:\/\/[^:]+:(\d+)/.exec(rm.stderr())?.[1];
    load = hammer(`http://127.0.0.1:${port}/`, 60_000);
    const recycle = await events.waitFor('worker.recycle', (e) => e.watcher === 'web', { ms: 45_000 });
    await events.waitFor('worker.exited', (e) => e.pid === recycle.pid);
    // a while on the new workers too
    await new Promise((r) => setTimeout(r, 500));
    const result = await load.stop();
    load = undefined;
    assert.deepEqual(result.errors, []);
    assert.ok(result.ok > 0);
    assert.equal(fewestReady(events.events, 'web', 2), 2);
    assert.equal((await statusOf(rm, 'web'))?.restartsByReason?.memory, 1);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await load?.stop();
    await events?.close();
    await rm.close();
    t.cleanup();
  }
});
