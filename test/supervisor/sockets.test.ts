import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { lstatSync, statSync, writeFileSync, existsSync, readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { startRingmaster, FIXTURES, childPids } from '../helpers/run.js';
import { get, portFromLog } from '../helpers/http.js';
import { tempDir } from '../helpers/config.js';
import { yaml } from '../config/helpers.js';
import { SocketSet } from '../../src/supervisor/socket-set.js';

const W = `node ${FIXTURES}worker-http.mjs`;

async function stopAndWait(rm: ReturnType<typeof startRingmaster>): Promise<number | null> {
  process.kill(await rm.initPidNow(), 'SIGTERM');
  return (await rm.exit()).code;
}

test('unix socket: mode, umask (octal), serving, file removed at exit', async () => {
  const t = tempDir();
  const a = `${t.dir}/a.sock`;
  const b = `${t.dir}/b.sock`;
  const cfg = `sockets:
  a:
    path: ${a}
    mode: "0660"
  b:
    path: ${b}
    umask: "022"
watchers:
  web:
    cmd: ${W} $(circus.sockets.a)
    sockets: [a, b]
`;
  const rm = startRingmaster(['-c', t.write('u.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => s.includes('listening'));
    assert.equal(statSync(a).mode & 0o777, 0o660);
    assert.equal(statSync(b).mode & 0o777, 0o755);
    const r = await get('http://localhost/', { socketPath: a });
    assert.equal(r.status, 200);
    assert.equal(await stopAndWait(rm), 0);
    assert.ok(!existsSync(a) && !existsSync(b), 'socket files left behind');
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('unix socket: a stale file needs replace, a regular file is never removed', async () => {
  const t = tempDir();
  const p = `${t.dir}/s.sock`;
  // leave a stale socket file behind
  const srv = createServer().listen(p);
  await once(srv, 'listening');
  const fd = (srv as unknown as { _handle: { fd: number } })._handle.fd;
  assert.ok(fd >= 0);
  // close the server without unlinking the file: node unlinks on close, so copy the situation by hand
  srv.close();
  await once(srv, 'close');
  const s2 = createServer().listen(p);
  await once(s2, 'listening');
  const cfg = (replace: boolean) => `sockets:\n  s:\n    path: ${p}\n    replace: ${replace}\nwatchers:\n  w:\n    cmd: sleep 30\n    use_sockets: true\n`;
  let rm = startRingmaster(['-c', t.write('a.yaml', cfg(false))]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 71);
    assert.match(rm.stderr(), /socket "s": .*s\.sock already exists \(a stale socket\?\): set replace = true/);
  } finally {
    await rm.close();
  }
  s2.close();
  const file = `${t.dir}/plain`;
  writeFileSync(file, 'data');
  rm = startRingmaster(['-c', t.write('b.yaml', `sockets:\n  s:\n    path: ${file}\n    replace: true\nwatchers:\n  w:\n    cmd: sleep 30\n`)]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 71);
    assert.match(rm.stderr(), /exists and is not a socket/);
    assert.ok(existsSync(file));
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('abstract unix socket (@name) and IPv6 loopback', async () => {
  const t = tempDir();
  const name = `rm-test-${process.pid}-${Date.now()}`;
  const cfg = `sockets:
  abs:
    path: "@${name}"
  v6:
    host: "::1"
    port: 0
    family: AF_INET6
watchers:
  a:
    cmd: ${W} $(circus.sockets.abs)
    sockets: [abs]
  b:
    cmd: ${W} $(circus.sockets.v6)
    sockets: [v6]
`;
  const rm = startRingmaster(['-c', t.write('x.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => (s.match(/listening/g) ?? []).length >= 2);
    const port = portFromLog(rm.stderr(), 'v6');
    assert.ok(port, rm.stderr());
    assert.match(rm.stderr(), /url=tcp:\/\/\[::1\]:\d+/);
    assert.equal((await get(`http://[::1]:${port}/`)).status, 200);
    // Node 20's net.connect pads an abstract name to the full sun_path, so it cannot reach
    // a socket named the way every other tool names it: check the kernel's table, and talk
    // to it with curl where the machine has it.
    const row = readFileSync('/proc/net/unix', 'latin1').split('\n').find((l) => l.endsWith(` @${name}`));
    assert.ok(row, 'abstract socket not in /proc/net/unix');
    assert.equal(row.split(/\s+/)[3], '00010000', 'abstract socket is not listening');
    const curl = spawnSync('curl', ['-s', '--max-time', '5', '--abstract-unix-socket', name, 'http://x/'], { encoding: 'utf8' });
    if (!curl.error) assert.match(curl.stdout, /"wid":1/);
    assert.equal(await stopAndWait(rm), 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('port 0: check and the log report the real port, and it is substituted for the worker', async () => {
  const t = tempDir();
  const cfg = `sockets:\n  web:\n    host: 127.0.0.1\n    port: 0\nwatchers:\n  web:\n    cmd: ${W} $(circus.sockets.web)\n    numprocesses: 2\n`;
  const path = t.write('p.yaml', cfg);
  const check = startRingmaster(['check', path], { pid1: false });
  try {
    assert.equal((await check.exit()).code, 0, check.stderr());
    assert.match(check.stdout(), /web: tcp:\/\/127\.0\.0\.1:(?!0\b)\d+/);
    assert.match(check.stdout(), /\[1\] node \S+worker-http\.mjs 3/);
    assert.match(check.stdout(), /\[2\] node \S+worker-http\.mjs 3/);
  } finally {
    await check.close();
  }
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStdout((s) => (s.match(/listening/g) ?? []).length >= 2);
    const port = portFromLog(rm.stderr(), 'web');
    assert.ok(port && port > 0);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    assert.equal(await stopAndWait(rm), 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('a port in use: one clear error, exit 71, nothing started', async () => {
  const busy = createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  const port = (busy.address() as { port: number }).port;
  const t = tempDir();
  const cfg = `sockets:\n  ok:\n    host: 127.0.0.1\n    port: 0\n  web:\n    host: 127.0.0.1\n    port: ${port}\nwatchers:\n  w:\n    cmd: sleep 30\n    use_sockets: true\n`;
  const rm = startRingmaster(['-c', t.write('busy.yaml', cfg)]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 71);
    assert.match(rm.stderr(), new RegExp(`socket "web": cannot bind tcp://127\\.0\\.0\\.1:${port}: EADDRINUSE \\(another process already listens there`));
    assert.doesNotMatch(rm.stderr(), /worker started/);
  } finally {
    await rm.close();
    busy.close();
    t.cleanup();
  }
});

test('a unix socket in a missing directory: ENOENT with the fix', async () => {
  const t = tempDir();
  const rm = startRingmaster(['-c', t.write('m.yaml', `sockets:\n  s:\n    path: ${t.dir}/nope/s.sock\nwatchers:\n  w:\n    cmd: sleep 30\n`)]);
  try {
    assert.equal((await rm.exit()).code, 71);
    assert.match(rm.stderr(), /cannot bind unix:.*nope\/s\.sock: ENOENT \(the directory of the socket path does not exist/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('so_reuseport: each worker gets a socket of its own in the group', async () => {
  const t = tempDir();
  const cfg = `sockets:\n  web:\n    host: 127.0.0.1\n    port: 0\n    so_reuseport: true\nwatchers:\n  web:\n    cmd: ${W} $(circus.sockets.web)\n    numprocesses: 2\n`;
  const rm = startRingmaster(['-c', t.write('rp.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => (s.match(/listening/g) ?? []).length >= 2);
    const port = portFromLog(rm.stderr(), 'web');
    const init = await rm.initPid();
    const inodes = childPids(init).map((pid) => readlinkSync(`/proc/${pid}/fd/3`));
    assert.equal(inodes.length, 2);
    assert.notEqual(inodes[0], inodes[1]);
    // the init holds no listening copy of either
    const held = readdirSync(`/proc/${init}/fd`).map((f) => {
      try {
        return readlinkSync(`/proc/${init}/fd/${f}`);
      } catch {
        return '';
      }
    });
    for (const i of inodes) assert.ok(!held.includes(i));
    const replies = await Promise.all(Array.from({ length: 8 }, () => get(`http://127.0.0.1:${port}/`)));
    assert.ok(replies.every((r) => r.status === 200));
    assert.equal(await stopAndWait(rm), 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

/** A port nobody listens on now (the kernel's pick for port 0, closed again). */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('two so_reuseport sockets on one port (as Circus allows): one group, both watchers get connections', async () => {
  const port = await freePort();
  const t = tempDir();
  const sock = `{host: 127.0.0.1, port: ${port}, so_reuseport: true}`;
  const cfg = `sockets:\n  a: ${sock}\n  b: ${sock}\nwatchers:\n  a:\n    cmd: ${W} $(circus.sockets.a)\n  b:\n    cmd: ${W} $(circus.sockets.b)\n`;
  const rm = startRingmaster(['-c', t.write('two.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => (s.match(/listening/g) ?? []).length >= 2);
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(String(JSON.parse((await get(`http://127.0.0.1:${port}/`)).body).watcher));
    assert.deepEqual([...seen].sort(), ['a', 'b']);
    assert.equal(await stopAndWait(rm), 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('two sockets whose host names resolve to one address: the bind error names the other socket, not "another process"', async () => {
  const port = await freePort();
  const config = yaml(`sockets:\n  a: {host: 127.0.0.1, port: ${port}}\n  b: {host: localhost, port: ${port}}\nwatchers:\n  w: {cmd: /bin/true}\n`);
  await assert.rejects(SocketSet.bind(config.sockets), {
    message: `socket "b": cannot bind tcp://127.0.0.1:${port}: EADDRINUSE (socket "a" of this configuration already holds tcp://127.0.0.1:${port}: set so_reuseport on both, or give one another address)`,
  });
});

test('--socket on the command line: the command gets the fd, LISTEN_FDS and LISTEN_FDNAMES', async () => {
  const rm = startRingmaster(['-v', '--socket', 'web=tcp://127.0.0.1:0', '--', 'sh', '-c', `echo "fds=$LISTEN_FDS names=$LISTEN_FDNAMES pid_ok=$([ "$LISTEN_PID" = "$$" ] && echo yes)"; exec node ${FIXTURES}worker-http.mjs $(circus.sockets.web)`]);
  try {
    await rm.waitStdout((s) => s.includes('listening'));
    assert.match(rm.stdout(), /fds=1 names=web pid_ok=yes/);
    const port = portFromLog(rm.stderr(), 'web');
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
  }
});

test('binding for real: a host name is resolved, v6only decides whether [::] takes IPv4 too, a unix socket gets its owner and group', async () => {
  const t = tempDir();
  const path = `${t.dir}/owned.sock`;
  const config = yaml(`sockets:
  named:
    host: localhost
    port: 0
  dual:
    host: "::"
    port: 0
    family: AF_INET6
    v6only: false
  only6:
    host: "::"
    port: 0
    family: AF_INET6
    v6only: true
  owned:
    path: ${path}
    owner: nobody
    group: nogroup
watchers: {w: {cmd: x}}
`);
  const set = await SocketSet.bind(config.sockets);
  try {
    const port = (name: string): number => set.get(name)?.port as number;
    assert.match(set.get('named')?.url ?? '', /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const connects = (host: string, p: number): Promise<boolean> =>
      new Promise((resolve) => {
        const s = connect({ host, port: p }, () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
    assert.equal(await connects('127.0.0.1', port('named')), true);
    assert.equal(await connects('127.0.0.1', port('dual')), true, 'v6only: false takes IPv4 too');
    assert.equal(await connects('::1', port('only6')), true);
    assert.equal(await connects('127.0.0.1', port('only6')), false, 'v6only: true took IPv4');
    const st = lstatSync(path);
    assert.ok(st.isSocket());
    assert.deepEqual([st.uid, st.gid], [65534, 65534]);
  } finally {
    set.close();
    t.cleanup();
  }
});

test('in-place socket updates: a datagram socket\'s backlog is no listen() (it has no queue); an unknown owner changes nothing', async () => {
  const t = tempDir();
  const path = `${t.dir}/u.sock`;
  const base = yaml(`sockets:\n  tcp: {host: 127.0.0.1, port: 0}\n  udp: {host: 127.0.0.1, port: 0, type: SOCK_DGRAM}\n  file: {path: ${path}, mode: "600"}\nwatchers: {w: {cmd: x}}\n`);
  const set = await SocketSet.bind(base.sockets);
  try {
    const next = yaml(`sockets:\n  tcp: {host: 127.0.0.1, port: 0, backlog: 9}\n  udp: {host: 127.0.0.1, port: 0, type: SOCK_DGRAM, backlog: 9}\n  file: {path: ${path}, mode: "640"}\nwatchers: {w: {cmd: x}}\n`);
    set.update(next.sockets);
    assert.equal(set.get('udp')?.config.backlog, 9);
    assert.equal(set.get('tcp')?.config.backlog, 9);
    assert.equal(statSync(path).mode & 0o777, 0o640);
    const bad = yaml(`sockets:\n  file: {path: ${path}, mode: "644", owner: no-such-user-xyz}\nwatchers: {w: {cmd: x}}\n`);
    assert.throws(() => set.update(bad.sockets), /unknown owner "no-such-user-xyz"/);
    assert.equal(statSync(path).mode & 0o777, 0o640, 'the mode changed though the update failed');
  } finally {
    set.close();
    t.cleanup();
  }
});
