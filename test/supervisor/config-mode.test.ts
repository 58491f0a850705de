import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster, FIXTURES, childPids, procStatus, sleep } from '../helpers/run.js';
import { get, portFromLog } from '../helpers/http.js';
import { tempDir } from '../helpers/config.js';

test('signals the init does not use go to the workers of the watchers that take them', async () => {
  const t = tempDir();
  const cfg = `watchers:
  all:
    cmd: node ${FIXTURES}sigworker.mjs
    numprocesses: 2
  some:
    cmd: node ${FIXTURES}sigworker.mjs
    forward_signals: [SIGUSR2]
`;
  const rm = startRingmaster(['-c', t.write('s.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => (s.match(/ up/g) ?? []).length === 3);
    const init = await rm.initPid();
    process.kill(init, 'SIGUSR1');
    await rm.waitStdout((s) => (s.match(/SIGUSR1/g) ?? []).length === 2);
    process.kill(init, 'SIGUSR2');
    await rm.waitStdout((s) => (s.match(/SIGUSR2/g) ?? []).length === 3);
    await sleep(200);
    assert.equal((rm.stdout().match(/SIGUSR1/g) ?? []).length, 2, 'SIGUSR1 reached a watcher that does not take it');
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('watchers start by priority and stop in reverse order', async () => {
  const t = tempDir();
  const cfg = `watchers:
  low:
    cmd: node ${FIXTURES}sigworker.mjs
    priority: 1
  high:
    cmd: node ${FIXTURES}sigworker.mjs
    priority: 10
  mid:
    cmd: node ${FIXTURES}sigworker.mjs
    priority: 5
`;
  const rm = startRingmaster(['-c', t.write('p.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => (s.match(/ up/g) ?? []).length === 3);
    const started = [...rm.stderr().matchAll(/worker started watcher=(\w+)/g)].map((m) => m[1]);
    assert.deepEqual(started, ['high', 'mid', 'low']);
    process.kill(await rm.initPid(), 'SIGTERM');
    await rm.exit();
    const stopped = [...rm.stderr().matchAll(/worker stopped watcher=(\w+)/g)].map((m) => m[1]);
    assert.deepEqual(stopped, ['low', 'mid', 'high']);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('worker output: line-prefixed, JSON lines, and the last line of a dying worker is kept', async () => {
  const t = tempDir();
  const cfg = `watchers:
  pre:
    cmd: sh -c "echo one; echo two >&2; printf last-no-newline; exit 0"
    output: prefix
    respawn: false
  js:
    cmd: sh -c "echo hello"
    output: json
    respawn: false
`;
  const rm = startRingmaster(['-c', t.write('o.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => s.includes('last-no-newline') && s.includes('"line":"hello"'));
    await rm.waitStderr((s) => s.includes('pre.1 | two'));
    assert.match(rm.stdout(), /^pre\.1 \| one$/m);
    assert.match(rm.stderr(), /^pre\.1 \| two$/m);
    assert.match(rm.stdout(), /^pre\.1 \| last-no-newline$/m);
    const json = rm.stdout().split('\n').find((l) => l.includes('"hello"')) as string;
    const o = JSON.parse(json) as Record<string, unknown>;
    assert.equal(o.watcher, 'js');
    assert.equal(o.wid, 1);
    assert.equal(o.stream, 'stdout');
    assert.equal(typeof o.pid, 'number');
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('workers get RINGMASTER_WID, the invocation cwd, env from [env] and copy_env', async () => {
  const t = tempDir();
  const cfg = `env:
  GREETING: hi
watchers:
  e:
    cmd: sh -c 'echo "wid=$RINGMASTER_WID cwd=$(pwd) greeting=$GREETING path=$([ -n "$PATH" ] && echo set) wid2=$(circus.wid)"; exec sleep 60'
    numprocesses: 2
  bare:
    cmd: /bin/sh -c 'echo "bare path_vars=$(/usr/bin/env | /bin/grep -c ^PATH=)"; exec /bin/sleep 60'
    copy_env: false
`;
  const rm = startRingmaster(['-c', t.write('e.yaml', cfg)], { cwd: t.dir });
  try {
    await rm.waitStdout((s) => (s.match(/wid=\d/g) ?? []).length >= 2 && s.includes('bare'));
    for (const wid of [1, 2]) {
      assert.match(rm.stdout(), new RegExp(`wid=${wid} cwd=${t.dir} greeting=hi path=set wid2=${wid}`));
    }
    assert.match(rm.stdout(), /bare path_vars=0/);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('privileges: the init drops to [ringmaster] user after binding a port below 1024; a watcher runs as its uid', async () => {
  const t = tempDir();
  const port = 900 + (process.pid % 90);
  const cfg = `[ringmaster]
user = nobody

[socket:web]
host = 127.0.0.1
port = ${port}

[watcher:web]
cmd = node ${FIXTURES}worker-http.mjs $(circus.sockets.web)
use_sockets = true
`;
  const rm = startRingmaster(['-c', t.write('priv.ini', cfg)]);
  try {
    await rm.waitStdout((s) => s.includes('listening'));
    const init = await rm.initPid();
    const st = procStatus(init);
    assert.match(st.get('Uid') as string, /^65534\s+65534\s+65534\s+65534$/);
    assert.match(st.get('Gid') as string, /^65534\s/);
    // initgroups: root's supplementary groups are gone, nobody's own are there.
    assert.deepEqual((st.get('Groups') ?? '').split(/\s+/).filter(Boolean), ['65534']);
    const [worker] = childPids(init);
    assert.match(procStatus(worker as number).get('Uid') as string, /^65534\s/);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('per-watcher uid/gid while the init stays root: the worker has the user\'s supplementary groups too', async () => {
  const t = tempDir();
  const cfg = `watchers:
  w:
    cmd: sleep 60
    uid: nobody
    gid: "100"
`;
  const rm = startRingmaster(['-c', t.write('u.yaml', cfg)]);
  try {
    await rm.waitStderr((s) => s.includes('worker started'));
    const init = await rm.initPid();
    const [worker] = childPids(init);
    // setpriv switches users, then execs sleep under the same pid: wait for the switch.
    let st = procStatus(worker as number);
    for (let i = 0; i < 250 && !(/^65534\s/.test(st.get('Uid') ?? '') && st.get('Name') === 'sleep'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      st = procStatus(worker as number);
    }
    const seen = JSON.stringify(Object.fromEntries(['Name', 'Uid', 'Gid', 'Groups'].map((k) => [k, st.get(k)])));
    assert.match(st.get('Uid') as string, /^65534\s/, seen);
    assert.match(st.get('Gid') as string, /^100\s/, seen);
    const expected = execFileSync('id', ['-G', 'nobody'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    const groups = (st.get('Groups') ?? '').split(/\s+/).filter(Boolean).map(Number);
    // initgroups: the user's own groups (its primary group among them), as `id -G` lists them
    assert.deepEqual([...new Set(groups)].sort((a, b) => a - b), [...new Set(expected)].sort((a, b) => a - b), seen);
    assert.match(procStatus(init).get('Uid') as string, /^0\s/);
    process.kill(init, 'SIGTERM');
    await rm.exit();
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('a Circus INI file runs as is: [circus] section, ZMQ options warned about, shared socket served', async () => {
  const t = tempDir();
  const cfg = `[circus]
check_delay = 5
endpoint = tcp://127.0.0.1:5555
pubsub_endpoint = tcp://127.0.0.1:5556

[watcher:webworker]
cmd = node ${FIXTURES}worker-http.mjs $(circus.sockets.webapp)
use_sockets = True
numprocesses = 2

[socket:webapp]
host = 127.0.0.1
port = 0
`;
  const rm = startRingmaster(['-c', t.write('circus.ini', cfg)]);
  try {
    await rm.waitStdout((s) => (s.match(/listening/g) ?? []).length >= 2);
    assert.match(rm.stderr(), /warn: .*endpoint/);
    const port = portFromLog(rm.stderr(), 'webapp');
    const r = await get(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { watcher: string }).watcher, 'webworker');
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('an invalid config: exit 78 and every error with file and line; nothing started', async () => {
  const t = tempDir();
  const cfg = `watchers:
  web:
    cmd: sleep 1
    numprocesses: two
    graceful_timout: 3
`;
  const rm = startRingmaster(['-c', t.write('bad.yaml', cfg)]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 78);
    assert.match(rm.stderr(), /watchers\.web\.numprocesses.*"two".*bad\.yaml:4/);
    assert.match(rm.stderr(), /graceful_timout.*did you mean.*graceful_timeout/);
    assert.doesNotMatch(rm.stderr(), /worker started/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('working_dir: relative to where ringmaster started; a missing one is named in the error', async () => {
  const t = tempDir();
  const cfg = `watchers:
  rel:
    cmd: sh -c 'echo "cwd=$(pwd)"; exec sleep 60'
    working_dir: sub
  missing:
    cmd: sleep 60
    working_dir: /nonexistent/dir
    max_retry: 0
`;
  const { mkdirSync } = await import('node:fs');
  mkdirSync(`${t.dir}/sub`);
  const rm = startRingmaster(['-c', t.write('wd.yaml', cfg)], { cwd: t.dir });
  try {
    await rm.waitStdout((s) => s.includes('cwd='));
    assert.match(rm.stdout(), new RegExp(`cwd=${t.dir}/sub`));
    await rm.waitStderr((s) => s.includes('working_dir /nonexistent/dir does not exist'));
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
