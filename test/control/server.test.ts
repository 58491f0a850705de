import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { existsSync, linkSync, lstatSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { startControlServer } from '../../src/control/server.js';
import { request, ControlClientError } from '../../src/control/client.js';
import { RingmasterError } from '../../src/errors/codes.js';
import { FakeController, rawConnection, startHarness, tempSocketDir, testLogger } from './fake.js';

test('the socket file is born mode 0600, and the umask is put back', async () => {
  const before = process.umask(0o022);
  const h = await startHarness();
  try {
    assert.equal(lstatSync(h.path).mode & 0o777, 0o600);
    assert.ok(lstatSync(h.path).isSocket());
    assert.equal(process.umask(before), 0o022, 'umask restored after listen()');
  } finally {
    await h.close();
  }
});

test('close() stops listening, unlinks the file, and is idempotent', async () => {
  const h = await startHarness();
  try {
    const conn = await rawConnection(h.path);
    await h.server.close();
    await h.server.close();
    assert.equal(existsSync(h.path), false);
    await assert.rejects(request(h.path, { cmd: 'status' }), (e: unknown) => e instanceof ControlClientError && e.code === 'RM_CTL_UNREACHABLE');
    conn.close();
  } finally {
    await h.close();
  }
});

test('a stale socket file (nobody listening) is replaced', async () => {
  const t = tempSocketDir();
  const path = join(t.dir, 'ctl.sock');
  try {
    // A socket inode with no listener, as a killed init leaves behind: a hard link to a
    // listening socket's file outlives the listener (closing it unlinks only its own name).
    const other = createServer();
    other.listen(join(t.dir, 'orig.sock'));
    await once(other, 'listening');
    linkSync(join(t.dir, 'orig.sock'), path);
    other.close();
    await once(other, 'close');
    assert.ok(lstatSync(path).isSocket());

    const lines: string[] = [];
    const server = await startControlServer({ path, controller: new FakeController(), log: testLogger(lines) });
    try {
      const r = await request(path, { cmd: 'status' });
      assert.equal(r.ok, true);
      assert.ok(lines.some((l) => l.includes('removed a stale control socket')));
    } finally {
      await server.close();
    }
  } finally {
    t.cleanup();
  }
});

test('a live ringmaster on the path is refused, naming its pid; it keeps serving', async () => {
  const h = await startHarness();
  try {
    await assert.rejects(
      startControlServer({ path: h.path, controller: new FakeController(), log: h.log }),
      (e: unknown) => e instanceof RingmasterError && e.code === 'RM_SOCKET' && /another ringmaster \(pid 4242\) is listening on the control socket .*ctl\.sock; stop it, or set RINGMASTER_CONTROL_SOCKET/.test(e.message),
    );
    assert.equal((await request(h.path, { cmd: 'status' })).ok, true);
  } finally {
    await h.close();
  }
});

test('something else listening on the path is refused, not deleted', async () => {
  const t = tempSocketDir();
  const path = join(t.dir, 'ctl.sock');
  const other = createServer((s) => s.destroy()); // hangs up without answering
  try {
    other.listen(path);
    await once(other, 'listening');
    await assert.rejects(
      startControlServer({ path, controller: new FakeController(), log: testLogger([]) }),
      (e: unknown) => e instanceof RingmasterError && e.code === 'RM_SOCKET' && /does not answer as ringmaster/.test(e.message),
    );
    assert.ok(existsSync(path));
  } finally {
    other.close();
    t.cleanup();
  }
});

test('a path that is not a socket, an abstract name or a too long path is refused', async () => {
  const t = tempSocketDir();
  const log = testLogger([]);
  const controller = new FakeController();
  try {
    const file = join(t.dir, 'ctl.sock');
    writeFileSync(file, 'keep me');
    await assert.rejects(
      startControlServer({ path: file, controller, log }),
      (e: unknown) => e instanceof RingmasterError && e.code === 'RM_SOCKET' && /exists and is a regular file that belongs to uid 0 \(root\), not a socket; remove it or set RINGMASTER_CONTROL_SOCKET/.test(e.message),
    );
    assert.ok(existsSync(file));
    await assert.rejects(startControlServer({ path: '@ringmaster', controller, log }), /abstract socket, which has no file mode/);
    await assert.rejects(startControlServer({ path: join(t.dir, 'x'.repeat(120)), controller, log }), /more than a unix socket allows \(107\)/);
    await assert.rejects(startControlServer({ path: join(t.dir, 'no', 'such', 'ctl.sock'), controller, log }), /its directory .*no\/such does not exist/);
  } finally {
    t.cleanup();
  }
});

test('bad requests: code and a message naming the value and what is accepted', async () => {
  const h = await startHarness();
  const conn = await rawConnection(h.path);
  try {
    const cases: Array<[string, string, RegExp]> = [
      ['not json\n', 'RM_CTL_BAD_REQUEST', /one line of JSON like \{"cmd": "status"\}, got "not json"/],
      ['[1]\n', 'RM_CTL_BAD_REQUEST', /a request is a JSON object/],
      ['{"id":1,"cmd":"stauts"}\n', 'RM_CTL_UNKNOWN_COMMAND', /unknown command "stauts" \(did you mean "status"\?\): the commands are status, start/],
      ['{"id":2,"cmd":"scale","watcher":"web","n":-1}\n', 'RM_CTL_BAD_ARGUMENT', /scale: the number of processes must be an integer from 0 to 10000, got -1/],
      ['{"id":3,"cmd":"scale","watcher":"web","n":"two"}\n', 'RM_CTL_BAD_ARGUMENT', /got "two"/],
      ['{"id":4,"cmd":"scale","watcher":"web","count":3}\n', 'RM_CTL_BAD_ARGUMENT', /scale takes "watcher", "n", not "count"/],
      ['{"id":5,"cmd":"stop"}\n', 'RM_CTL_BAD_ARGUMENT', /stop needs "watcher"/],
      ['{"id":6,"cmd":"signal","watcher":"web","signal":"SIGFOO"}\n', 'RM_CTL_BAD_ARGUMENT', /"SIGFOO" names no signal; give a name or number like TERM/],
      ['{"id":7,"cmd":"restart","watcher":"web","maxSurge":2}\n', 'RM_CTL_BAD_ARGUMENT', /"maxSurge" applies to a rolling restart; add "rolling": true/],
      ['{"id":8,"cmd":"incr","watcher":"web","n":0}\n', 'RM_CTL_BAD_ARGUMENT', /incr: the step must be an integer from 1 to 10000, got 0/],
      ['{"id":9,"cmd":"stop","watcher":"wbe"}\n', 'RM_CTL_UNKNOWN_WATCHER', /unknown watcher "wbe": the watchers are web, worker/],
    ];
    for (const [line] of cases) conn.send(line);
    const answers = await conn.waitFor(cases.length);
    for (const [line, code, message] of cases) {
      const id = line.startsWith('{') ? (JSON.parse(line) as { id: number }).id : null;
      const a = answers.find((x) => x['id'] === id && (id !== null || x['error'] !== undefined && message.test(String(x['error']))));
      assert.ok(a, `an answer to ${line.trim()}`);
      assert.equal(a['ok'], false);
      assert.equal(a['code'], code, line);
      assert.match(String(a['error']), message);
    }
    assert.deepEqual(h.controller.calls, [], 'nothing malformed reached the controller');
  } finally {
    conn.close();
    await h.close();
  }
});

test('a bug in the controller answers RM_CTL_INTERNAL and is logged', async () => {
  const h = await startHarness();
  try {
    h.controller.bug = new TypeError('boom');
    const r = await request(h.path, { cmd: 'start', watcher: 'web' });
    assert.equal(r.ok, false);
    assert.equal(r.code, 'RM_CTL_INTERNAL');
    assert.match(r.error ?? '', /start failed: boom \(a bug in ringmaster/);
    assert.ok(h.logLines.some((l) => l.includes('control request failed') && l.includes('TypeError')));
  } finally {
    await h.close();
  }
});

test('requests in flight: a pending restart does not hold up a status, on one connection or many', async () => {
  const h = await startHarness();
  const conn = await rawConnection(h.path);
  try {
    let release!: () => void;
    h.controller.restartGate = new Promise<void>((r) => (release = r));
    conn.send('{"id":"r","cmd":"restart","watcher":"web","rolling":true,"maxSurge":2}\n{"id":"s","cmd":"status"}\n');
    const first = await conn.waitFor(1);
    assert.equal(first[0]?.['id'], 's', 'status answered while the restart is still running');
    const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => request(h.path, { cmd: 'scale', watcher: 'web', n: i })));
    assert.deepEqual(parallel.map((r) => r.result), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(conn.answers.length, 1);
    release();
    const both = await conn.waitFor(2);
    assert.deepEqual(both[1], { id: 'r', ok: true, result: null });
    assert.deepEqual(h.controller.calls[0], ['restart', 'web', { rolling: true, maxSurge: 2 }]);
  } finally {
    conn.close();
    await h.close();
  }
});

test('each command reaches the controller as it should', async () => {
  const h = await startHarness();
  try {
    const ask = async (req: object) => {
      const r = await request(h.path, req);
      assert.equal(r.ok, true, `${JSON.stringify(req)}: ${r.error}`);
      return r.result;
    };
    assert.equal(((await ask({ cmd: 'status' })) as { pid: number }).pid, 4242);
    assert.equal(await ask({ cmd: 'start', watcher: 'web' }), null);
    assert.equal(await ask({ cmd: 'stop', watcher: 'WEB' }), null);
    assert.equal(await ask({ cmd: 'restart', watcher: 'web' }), null);
    assert.equal(await ask({ cmd: 'scale', watcher: 'web', n: 5 }), 5);
    assert.equal(await ask({ cmd: 'incr', watcher: 'web' }), 6);
    assert.equal(await ask({ cmd: 'decr', watcher: 'web', n: 2 }), 4);
    assert.equal(await ask({ cmd: 'signal', watcher: 'web', signal: 'hup' }), 2);
    assert.equal(await ask({ cmd: 'signal', watcher: 'web', signal: 15 }), 2);
    assert.match(String(await ask({ cmd: 'reload' })), /^reloaded/);
    assert.equal(await ask({ cmd: 'quit' }), 'shutting down');
    // quit is answered first, then carried out
    while (h.controller.calls.length < 11) await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.controller.calls, [
      ['snapshot'],
      ['start', 'web'],
      ['stop', 'web'],
      ['restart', 'web', { rolling: false }],
      ['scale', 'web', 5],
      ['incr', 'web', 1],
      ['incr', 'web', -2],
      ['signal', 'web', 'SIGHUP'],
      ['signal', 'web', 'SIGTERM'],
      ['reload'],
      ['quit'],
    ]);
  } finally {
    await h.close();
  }
});
