/**
 * `ringmaster ctl events`: the init's events, streamed live over the control socket, end to
 * end (a real init, real workers, real ctl processes), and the stream's bound for a reader
 * that does not read (a control server on a loopback unix socket, fed by a fake controller).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { once } from 'node:events';
import { setImmediate as tick } from 'node:timers/promises';
import { BIN, childPids, startRingmaster, type Started } from '../helpers/run.js';
import { ctl } from '../helpers/ctl.js';
import { tempDir } from '../helpers/config.js';
import { collectEvents, startCtlEvents } from '../helpers/events.js';
import { LineSplitter } from '../../src/control/lines.js';
import { startControlServer } from '../../src/control/server.js';
import { FakeController, tempSocketDir, testLogger } from './fake.js';

const CONFIG = `watchers:
  web:
    cmd: sleep 60
    numprocesses: 2
`;

async function started(rm: Started): Promise<number> {
  await rm.waitStderr((s) => s.includes('all watchers started'));
  return rm.initPidNow();
}

test('ctl events --json: a killed worker exits (unexpected, signaled) and its wid respawns; reload and rolling restart report; the stream ends with exit 0 when the init stops', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('r.yaml', CONFIG)]);
  const closers: Array<() => Promise<void>> = [];
  try {
    const init = await started(rm);
    const ev = await collectEvents(rm);
    closers.push(ev.close);
    const text = await startCtlEvents(rm);
    closers.push(text.close);

    // host pids: the init runs in a pid namespace of its own
    const victim = childPids(init)[0];
    assert.ok(victim, 'no worker');
    process.kill(victim, 'SIGKILL');
    const exited = await ev.waitFor('worker.exited', (e) => e.watcher === 'web' && e.cause === 'unexpected');
    assert.equal(exited.reason, 'signaled');
    assert.deepEqual(exited.outcome, { kind: 'signaled', signal: 'SIGKILL', number: 9 });
    const respawned = await ev.waitFor('worker.spawned', (e) => e.wid === exited.wid, { after: exited.seq });
    assert.notEqual(respawned.pid, exited.pid);
    await ev.waitFor('worker.respawn_scheduled', (e) => e.wid === exited.wid && e.delaySeconds === 0, { after: exited.seq });

    assert.equal((await ctl(rm, ['reload'])).code, 0);
    const reload = await ev.waitFor('reload.result', undefined, { after: respawned.seq });
    assert.deepEqual({ ok: reload.ok, changed: reload.ok && reload.changed }, { ok: true, changed: false });

    assert.equal((await ctl(rm, ['restart', 'web', '--rolling'])).code, 0);
    const begun = await ev.waitFor('rollout.started', (e) => e.watcher === 'web', { after: reload.seq });
    assert.deepEqual({ workers: begun.workers, maxSurge: begun.maxSurge }, { workers: 2, maxSurge: 1 });
    const steps = await ev.waitFor('rollout.step', (e) => e.replaced === 2, { after: begun.seq });
    assert.equal(steps.total, 2);
    assert.equal(ev.all('rollout.step', (e) => e.seq > begun.seq).length, 2);
    const result = await ev.waitFor('rollout.result', undefined, { after: begun.seq });
    assert.deepEqual(result.result, { kind: 'done', replaced: 2 });
    // each new worker was spawned, then ready, before an old one stopped
    const wave = ev.events.filter((e) => e.seq > begun.seq && e.seq < result.seq).map((e) => e.type);
    assert.deepEqual(wave.slice(0, 3), ['worker.spawned', 'worker.ready', 'worker.exited'], wave.join(' '));

    // the same, for people: a line per event, time first
    await text.waitStdout((s) => /rollout\.result web result=done replaced=2/.test(s));
    assert.match(text.stdout(), /^\d{4}-\d\d-\d\dT[\d:.]+Z worker\.exited web wid=\d pid=\d+ cause=unexpected reason=signaled signal=SIGKILL$/m);
    assert.match(text.stdout(), /^\S+Z reload\.result ok=true changed=false summary="no change"$/m);

    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
    assert.deepEqual(await ev.ctl.exit(), { code: 0, signal: null }, ev.ctl.stderr());
    assert.deepEqual(await text.exit(), { code: 0, signal: null }, text.stderr());
    // the last workers' stops came before the end of the stream
    assert.equal(ev.all('worker.exited', (e) => e.cause === 'stopped' && e.seq > result.seq).length, 2);
  } finally {
    for (const c of closers) await c();
    await rm.close();
    t.cleanup();
  }
});

test('ctl events | head -1: ctl ends (EPIPE) with exit 0 once head has gone', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('r.yaml', CONFIG)]);
  let ended = true;
  let sh: ReturnType<typeof spawn> | undefined;
  try {
    await started(rm);
    const env = { ...process.env, RINGMASTER_CONTROL_SOCKET: rm.controlSocket, BIN };
    // pipefail: the pipeline's status is ctl's when ctl fails
    sh = spawn('bash', ['-c', 'set -o pipefail; "$0" "$BIN" ctl events | head -1', process.execPath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    sh.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    sh.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    ended = false;
    const done = once(sh, 'exit');
    void done.then(() => (ended = true));
    for (let i = 0; i < 100 && !err.includes('streaming events'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(err, /streaming events/);
    // ctl learns that head is gone on its next write: make events until the pipeline ends
    for (let i = 0; i < 40 && !ended; i++) await ctl(rm, ['scale', 'web', String(2 + (i % 2))]);
    const [code] = await done;
    assert.equal(code, 0, err);
    assert.equal(out.split('\n').filter(Boolean).length, 1, out);
  } finally {
    if (!ended) sh?.kill('SIGKILL');
    process.kill(await rm.initPidNow(), 'SIGTERM');
    await rm.exit();
    await rm.close();
    t.cleanup();
  }
});

test('ctl events ends with exit 0 on SIGINT', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('r.yaml', CONFIG)]);
  try {
    await started(rm);
    const c = await startCtlEvents(rm);
    try {
      c.proc.kill('SIGINT');
      assert.deepEqual(await c.exit(), { code: 0, signal: null });
    } finally {
      await c.close();
    }
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('events: a reader that does not read costs the init a bounded buffer; what it missed is counted, not queued', async () => {
  const d = tempSocketDir();
  const controller = new FakeController();
  const maxEventBacklog = 64 * 1024;
  const server = await startControlServer({ path: `${d.dir}/ctl.sock`, controller, log: testLogger([]), maxEventBacklog });
  const sock = connect({ path: server.path });
  try {
    const lines = new LineSplitter();
    const got: Array<Record<string, unknown>> = [];
    const changed = new Set<() => void>();
    sock.on('data', (chunk: Buffer) => {
      for (const ev of lines.push(chunk)) if (ev.kind === 'line') got.push(JSON.parse(ev.line) as Record<string, unknown>);
      for (const f of changed) f();
    });
    const until = (ok: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (ok()) (changed.delete(check), resolve());
        };
        changed.add(check);
        check();
      });
    sock.write('{"id":1,"cmd":"events"}\n');
    await until(() => got.length > 0);
    assert.deepEqual(got[0], { id: 1, ok: true, result: 'streaming' });
    assert.equal(controller.bus.listeners, 1);

    // The reader stops reading; the init goes on emitting, far past any buffer.
    sock.pause();
    const emitted = 40_000;
    for (let i = 1; i <= emitted; i++) {
      controller.bus.emit({ type: 'worker.spawned', watcher: 'web', wid: 1, pid: i });
      if (i % 500 === 0) await tick(); // let the server's socket write what it can
    }
    sock.resume();
    // Once a marker gets through, the stream flows again and has said what it dropped; a
    // status answered after that comes after every marker sent before it.
    let markers = 0;
    const scaled = (): number => got.filter((l) => l['type'] === 'watcher.scaled').length;
    while (scaled() === 0) {
      controller.bus.emit({ type: 'watcher.scaled', watcher: 'web', numprocesses: ++markers });
      await new Promise((r) => setTimeout(r, 10));
    }
    sock.write('{"id":2,"cmd":"status"}\n');
    await until(() => got.some((l) => l['id'] === 2));

    const n = got.filter((l) => l['type'] === 'events.dropped').reduce((sum, l) => sum + Number(l['dropped']), 0);
    const delivered = got.filter((l) => l['type'] === 'worker.spawned').length;
    assert.ok(n > 0, 'nothing was dropped');
    assert.equal(delivered + scaled() + n, emitted + markers, 'every event was either delivered or counted as dropped');
    // What reached the reader is what the kernel's socket buffers and the backlog hold, not the ~4 MB emitted.
    const lineBytes = Buffer.byteLength(JSON.stringify({ type: 'worker.spawned', watcher: 'web', wid: 1, pid: emitted, seq: emitted, time: Date.now() })) + 1;
    assert.ok(delivered * lineBytes < emitted * lineBytes / 4, `delivered ${delivered} of ${emitted}`);
  } finally {
    sock.destroy();
    await server.close();
    d.cleanup();
  }
  assert.equal(controller.bus.listeners, 0, 'the subscription outlived its connection');
});

test('events on the socket: takes no arguments, one stream per connection, a line for people per event', async () => {
  const { parseRequest } = await import('../../src/control/protocol.js');
  const { formatEventLine } = await import('../../src/control/event-line.js');
  assert.deepEqual(parseRequest({ cmd: 'events' }), { cmd: 'events' });
  assert.throws(() => parseRequest({ cmd: 'events', watcher: 'web' }), { code: 'RM_CTL_BAD_ARGUMENT', message: 'events takes no arguments, not "watcher"' });

  const time = Date.UTC(2026, 11, 1, 23, 7, 45, 123);
  const line = (e: Record<string, unknown>): string => formatEventLine({ seq: 1, time, ...e });
  assert.equal(line({ type: 'worker.spawned', watcher: 'web', wid: 2, pid: 318 }), '2026-12-01T23:07:45.123Z worker.spawned web wid=2 pid=318\n');
  assert.equal(
    line({ type: 'rollout.result', watcher: 'web', result: { kind: 'failed', wid: 1, pid: 9, message: 'new worker 1 (pid 9) did not become ready (http)', replaced: 0, kept: 2 } }),
    '2026-12-01T23:07:45.123Z rollout.result web result=failed wid=1 pid=9 replaced=0 kept=2 message="new worker 1 (pid 9) did not become ready (http)"\n',
  );
  assert.equal(line({ type: 'reload.result', ok: false, error: 'bad\u001b[2J', code: 'RM_CONFIG' }), '2026-12-01T23:07:45.123Z reload.result ok=false code=RM_CONFIG error=bad?[2J\n');
  assert.equal(line({ type: 'events.dropped', dropped: 3 }), '2026-12-01T23:07:45.123Z events.dropped (this reader was too slow) dropped=3\n');
  // a type from a newer init: its fields as they are
  assert.equal(line({ type: 'task.done', name: 'migrate', took: { s: 1 } }), '2026-12-01T23:07:45.123Z task.done name=migrate took="{\\"s\\":1}"\n');

  const d = tempSocketDir();
  const server = await startControlServer({ path: `${d.dir}/ctl.sock`, controller: new FakeController(), log: testLogger([]) });
  const sock = connect({ path: server.path });
  try {
    const lines = new LineSplitter();
    const got: string[] = [];
    sock.on('data', (chunk: Buffer) => {
      for (const ev of lines.push(chunk)) if (ev.kind === 'line') got.push(ev.line);
    });
    sock.write('{"id":1,"cmd":"events"}\n{"id":2,"cmd":"events"}\n');
    while (got.length < 2) await once(sock, 'data');
    assert.deepEqual(got.map((l) => JSON.parse(l) as unknown), [
      { id: 1, ok: true, result: 'streaming' },
      { id: 2, ok: false, code: 'RM_CTL_BAD_REQUEST', error: 'this connection streams events already' },
    ]);
  } finally {
    sock.destroy();
    await server.close();
    d.cleanup();
  }
});
