import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startRingmaster, FIXTURES, sleep, type Started } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl, statusJson, workerPids } from '../helpers/ctl.js';
import { get } from '../helpers/http.js';
import { planReload } from '../../src/supervisor/reload-plan.js';
import { parseConfigText } from '../../src/config/index.js';
import { webYaml, type WebConfig } from './web-config.js';

const W = `node ${FIXTURES}worker-http.mjs $(circus.sockets.web)`;

const snap = statusJson;
const pids = workerPids;

/** webYaml() with a second watcher that no reload touches. */
function yaml(opts: Omit<WebConfig, 'http'> = {}): string {
  return webYaml({ ...opts, extra: `  steady:\n    cmd: sleep 60\n${opts.extra ?? ''}` });
}

/**
 * A ringmaster on yaml() with both web workers ready; after `body`, SIGTERM must end it with 0.
 * The config file is `path`, for the test to rewrite.
 */
async function onRunning(body: (rm: Started, path: string) => Promise<void>): Promise<void> {
  const t = tempDir();
  const path = t.write('r.yaml', yaml());
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => (s.match(/worker ready watcher=web/g) ?? []).length >= 2);
    await body(rm, path);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
}

test('reload plan: scale vs restart vs untouched, sockets kept or changed', () => {
  const env = { PATH: '/bin' };
  const a = parseConfigText(yaml(), { file: 'a.yaml', env });
  assert.equal(planReload(a, parseConfigText(yaml(), { file: 'a.yaml', env })).watchersRestarted.length, 0);
  const scaled = planReload(a, parseConfigText(yaml({ webN: 4 }), { file: 'a.yaml', env }));
  assert.deepEqual(scaled.watchersScaled, [{ name: 'web', numprocesses: 4 }]);
  assert.deepEqual(scaled.watchersRestarted, []);
  const changed = planReload(a, parseConfigText(yaml({ webEnv: '2', extra: '  new:\n    cmd: sleep 1\n' }), { file: 'a.yaml', env }));
  assert.deepEqual(changed.watchersRestarted.map((w) => w.name), ['web']);
  assert.deepEqual(changed.watchersAdded.map((w) => w.name), ['new']);
  const sock = planReload(a, parseConfigText(yaml({ port: 12345 }), { file: 'a.yaml', env }));
  assert.deepEqual(sock.socketsChanged.map((s) => s.name), ['web']);
  assert.deepEqual(sock.watchersRestarted.map((w) => w.name), ['web'], 'a watcher on a changed socket restarts');
});

test('reload plan: socket options applied in place, and sockets that cannot be bound while ringmaster holds the address', () => {
  const env = { PATH: '/bin' };
  const cfg = (sockets: string) => parseConfigText(`sockets:\n${sockets}watchers:\n  w:\n    cmd: sleep 60\n    use_sockets: true\n`, { file: 'a.yaml', env });
  const base = cfg('  web:\n    host: 0.0.0.0\n    port: 8080\n  sock:\n    path: /run/a.sock\n');
  const inPlace = planReload(base, cfg('  web:\n    host: 0.0.0.0\n    port: 8080\n    backlog: 100\n  sock:\n    path: /run/a.sock\n    mode: "660"\n'));
  assert.deepEqual(inPlace.socketsUpdated.map((s) => s.name), ['sock', 'web']);
  assert.deepEqual(inPlace.socketsChanged, []);
  assert.deepEqual(inPlace.watchersRestarted, [], 'the same fds: no watcher needs to move');
  assert.deepEqual(inPlace.socketsBlocked, []);
  const rebind = planReload(base, cfg('  web:\n    host: 0.0.0.0\n    port: 8080\n    so_reuseport: true\n  sock:\n    path: /run/a.sock\n'));
  assert.deepEqual(rebind.socketsBlocked, [
    'socket "web": changing so_reuseport needs a new socket at 0.0.0.0:8080, which ringmaster itself holds: restart ringmaster to apply it, or give the socket another port',
  ]);
  const renamed = planReload(base, cfg('  api:\n    host: 127.0.0.1\n    port: 8080\n  sock:\n    path: /run/a.sock\n'));
  assert.deepEqual(renamed.socketsBlocked, [
    'socket "api": 127.0.0.1:8080 is held by ringmaster\'s socket "web" until the reload is done: restart ringmaster, or reload in two steps (remove "web" first)',
  ]);
  // [::] with v6only takes no IPv4 address: no clash with 0.0.0.0 on the same port
  const v6 = planReload(base, cfg('  web:\n    host: "::"\n    family: AF_INET6\n    v6only: true\n    port: 8080\n  sock:\n    path: /run/a.sock\n'));
  assert.deepEqual([v6.socketsChanged.map((s) => s.name), v6.socketsBlocked], [['web'], []]);
  const moved = planReload(base, cfg('  web:\n    host: 0.0.0.0\n    port: 8081\n  sock:\n    path: /run/b.sock\n'));
  assert.deepEqual(moved.socketsChanged.map((s) => s.name), ['sock', 'web']);
  assert.deepEqual(moved.socketsBlocked, []);
});

test('reload: scale without restart, rolling restart of a changed watcher, unchanged one and socket untouched', () =>
  onRunning(async (rm, path) => {
    const s0 = await snap(rm);
    const port = s0.sockets[0]?.port;
    writeFileSync(path, yaml({ webN: 3 }));
    const r1 = await ctl(rm, ['reload']);
    assert.equal(r1.code, 0, r1.stderr);
    const s1 = await snap(rm);
    assert.equal(pids(s1, 'web').length, 3);
    for (const p of pids(s0, 'web')) assert.ok(pids(s1, 'web').includes(p), 'scaling restarted a worker');
    assert.deepEqual(pids(s1, 'steady'), pids(s0, 'steady'));

    writeFileSync(path, yaml({ webN: 3, webEnv: '2', extra: '  added:\n    cmd: sleep 60\n' }));
    process.kill(await rm.initPid(), 'SIGHUP');
    // The first reload (ctl) logged 'reload done' already: wait for this one's.
    await rm.waitStderr((s) => (s.match(/reload done/g) ?? []).length >= 2, 30_000);
    const s2 = await snap(rm);
    assert.equal(pids(s2, 'web').length, 3);
    for (const p of pids(s1, 'web')) assert.ok(!pids(s2, 'web').includes(p), 'changed watcher kept an old worker');
    assert.deepEqual(pids(s2, 'steady'), pids(s0, 'steady'), 'unchanged watcher was touched');
    assert.equal(pids(s2, 'added').length, 1);
    assert.equal(s2.sockets[0]?.port, port, 'the unchanged socket moved');
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    // ctl and SIGHUP asked for two; the directory watch may have run one of them first
    assert.ok(s2.reloads.success >= 2);

    writeFileSync(path, yaml({ webN: 3, webEnv: '2' }));
    assert.equal((await ctl(rm, ['reload'])).code, 0);
    assert.equal(pids(await snap(rm), 'added').length, 0, 'removed watcher still runs');
  }));

test('a failed reload changes nothing: invalid config, then a port that cannot be bound', async () => {
  const t = tempDir();
  const path = t.write('r.yaml', yaml());
  const rm = startRingmaster(['-c', path]);
  const busy = createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  const busyPort = (busy.address() as { port: number }).port;
  try {
    await rm.waitStderr((s) => (s.match(/worker ready watcher=web/g) ?? []).length >= 2);
    const s0 = await snap(rm);
    writeFileSync(path, yaml().replace('numprocesses: 2', 'numprocesses: lots'));
    const r = await ctl(rm, ['reload']);
    assert.equal(r.code, 1);
    assert.match(r.stderr + r.stdout, /numprocesses must be an integer/);
    assert.match(rm.stderr(), /reload failed, the running configuration is unchanged/);
    writeFileSync(path, yaml({ webN: 3, extra: `  more:\n    cmd: sleep 60\n` }).replace('sockets:\n', `sockets:\n  busy:\n    host: 127.0.0.1\n    port: ${busyPort}\n`));
    const r2 = await ctl(rm, ['reload']);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr + r2.stdout, /EADDRINUSE/);
    const s1 = await snap(rm);
    assert.deepEqual(pids(s1, 'web'), pids(s0, 'web'));
    assert.equal(pids(s1, 'more').length, 0);
    assert.ok(s1.reloads.failure >= 2);
    assert.match(s1.reloads.lastError ?? '', /EADDRINUSE/);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    busy.close();
    await rm.close();
    t.cleanup();
  }
});

test('reload: a backlog and a unix mode change apply to the same sockets; a socket change that needs the held address is refused and the unix file stays', async () => {
  const t = tempDir();
  const sockPath = `${t.dir}/app.sock`;
  const cfg = (extra: string, unixExtra = '') => `sockets:
  web:
    host: 127.0.0.1
    port: 0
${extra}  app:
    path: ${sockPath}
${unixExtra}watchers:
  web:
    cmd: ${W}
    sockets: [web]
  steady:
    cmd: sleep 60
    sockets: [app]
`;
  const path = t.write('r.yaml', cfg(''));
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    const s0 = await snap(rm);
    const port = s0.sockets.find((s) => s.name === 'web')?.port;
    writeFileSync(path, cfg('    backlog: 7\n', '    mode: "600"\n'));
    const r = await ctl(rm, ['reload']);
    assert.equal(r.code, 0, r.stderr);
    // ctl's reload, or the file watch's if it came first (then ctl's found no change)
    assert.match(rm.stderr(), /reload: sockets updated in place: app, web/);
    const s1 = await snap(rm);
    assert.equal(s1.sockets.find((s) => s.name === 'web')?.port, port, 'the socket was bound anew');
    assert.deepEqual(pids(s1, 'web'), pids(s0, 'web'));
    assert.deepEqual(pids(s1, 'steady'), pids(s0, 'steady'));
    assert.equal(statSync(sockPath).mode & 0o777, 0o600);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    writeFileSync(path, cfg('    backlog: 7\n', '    mode: "600"\n    type: SOCK_SEQPACKET\n    replace: true\n'));
    const refused = await ctl(rm, ['reload']);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /socket "app": changing type needs a new socket at .*app\.sock, which ringmaster itself holds.*\(RM_SOCKET\)/);
    assert.match(refused.stderr, /RM_CTL_RELOAD_FAILED/);
    assert.ok(lstatSync(sockPath).isSocket(), 'the live socket file was removed');
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('reload: a watcher with a user that does not exist is refused before anything changes', () =>
  onRunning(async (rm, path) => {
    const s0 = await snap(rm);
    writeFileSync(path, yaml({ webEnv: '2' }).replace('  steady:\n    cmd: sleep 60\n', '  other:\n    cmd: sleep 60\n    uid: no-such-user-xyz\n'));
    const r = await ctl(rm, ['reload']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /watchers\.other\.uid: unknown user "no-such-user-xyz"/);
    const s1 = await snap(rm);
    assert.deepEqual(pids(s1, 'web'), pids(s0, 'web'), 'web was restarted');
    assert.deepEqual(pids(s1, 'steady'), pids(s0, 'steady'), 'steady was removed');
  }));

test('a ConfigMap-style ..data symlink swap triggers a reload', async () => {
  const t = tempDir();
  // the layout kubelet makes: dir/..data -> ..2026_01; dir/ringmaster.yaml -> ..data/ringmaster.yaml
  mkdirSync(`${t.dir}/..v1`);
  writeFileSync(`${t.dir}/..v1/ringmaster.yaml`, yaml());
  symlinkSync('..v1', `${t.dir}/..data`);
  symlinkSync('..data/ringmaster.yaml', `${t.dir}/ringmaster.yaml`);
  const rm = startRingmaster(['-c', t.dir]);
  try {
    await rm.waitStderr((s) => (s.match(/worker ready watcher=web/g) ?? []).length >= 2);
    mkdirSync(`${t.dir}/..v2`);
    writeFileSync(`${t.dir}/..v2/ringmaster.yaml`, yaml({ webN: 3 }));
    symlinkSync('..v2', `${t.dir}/..data_tmp`);
    renameSync(`${t.dir}/..data_tmp`, `${t.dir}/..data`);
    await rm.waitStderr((s) => s.includes('configuration changed on disk') && s.includes('reload done'), 15_000);
    await sleep(200);
    assert.equal(pids(await snap(rm), 'web').length, 3);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('reload: a socket and its watcher added, served, then removed and closed', () =>
  onRunning(async (rm, path) => {
    const withApi = yaml().replace('sockets:\n', 'sockets:\n  api:\n    host: 127.0.0.1\n    port: 0\n') +
      `  api:\n    cmd: node ${FIXTURES}worker-http.mjs $(circus.sockets.api)\n    sockets: [api]\n`;
    writeFileSync(path, withApi);
    const r = await ctl(rm, ['reload']);
    assert.equal(r.code, 0, r.stderr);
    // ctl's reload, or the file watch's if it came first (then ctl's found no change)
    assert.match(rm.stderr(), /reload: sockets added: api; watchers added: api/);
    const port = (await snap(rm)).sockets.find((s) => s.name === 'api')?.port as number;
    await rm.waitStdout((s) => (s.match(/listening/g) ?? []).length >= 3);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    writeFileSync(path, yaml());
    const r2 = await ctl(rm, ['reload']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(rm.stderr(), /reload: sockets removed: api; watchers removed: api/);
    assert.equal((await snap(rm)).sockets.some((s) => s.name === 'api'), false);
    await assert.rejects(get(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 }), /ECONNREFUSED/);
  }));

test('reload: new workers that crash are the rollout\'s failure, not the watcher\'s: after more failed reloads than max_retry, the old workers still serve, no FATAL, one worker per wid', async () => {
  const t = tempDir();
  // ready: notify tells each new worker apart (an HTTP check on a shared socket can be
  // answered by an old worker).
  const cfg = (cmd: string) => `watchers:\n  web:\n    cmd: ${cmd}\n    numprocesses: 2\n    ready: notify\n`;
  const path = t.write('r.yaml', cfg(`node ${FIXTURES}notify-worker.mjs`));
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => (s.match(/worker ready watcher=web/g) ?? []).length >= 2);
    const s0 = await snap(rm);
    writeFileSync(path, cfg('sh -c "exit 3"'));
    for (let i = 0; i < 7; i++) {
      const r = await ctl(rm, ['reload']);
      assert.match(r.stdout + r.stderr, /kept the old configuration of web/, `reload ${i}: ${r.stdout}${r.stderr}`);
    }
    const s1 = await snap(rm);
    const web = s1.watchers.find((w) => w.name === 'web') as unknown as { phase: string; workers: Array<{ pid: number; wid: number }> };
    assert.equal(web.phase, 'running');
    assert.deepEqual(pids(s1, 'web'), pids(s0, 'web'), 'the old workers were replaced');
    assert.deepEqual(web.workers.map((w) => w.wid).sort(), [1, 2]);
    assert.doesNotMatch(rm.stderr(), /FATAL/);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('reload: an old worker that dies while its replacement is on probation, then the replacement fails: the slot is filled again with the old config', async () => {
  const t = tempDir();
  const flag = `${t.dir}/new-started`;
  // The old worker leaves as soon as a new one has started (and takes the flag with it);
  // the new one fails half a second later, never ready.
  const old = `sh -c "while [ ! -e ${flag} ]; do sleep 0.02; done; rm -f ${flag}; exit 0"`;
  const bad = `sh -c "touch ${flag}; sleep 0.5; exit 3"`;
  const cfg = (cmd: string) => `watchers:\n  web:\n    cmd: ${cmd}\n    ready: notify\n    backoff_reset: 0\n`;
  const path = t.write('r.yaml', cfg(old));
  const rm = startRingmaster(['-c', path]);
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    writeFileSync(path, cfg(bad));
    const r = await ctl(rm, ['reload']);
    assert.match(r.stdout + r.stderr, /kept the old configuration of web/);
    let web: { running: number; desired: number } | undefined;
    for (let i = 0; i < 50 && web?.running !== 1; i++) {
      await sleep(100);
      web = (await snap(rm)).watchers.find((w) => w.name === 'web') as unknown as { running: number; desired: number };
    }
    assert.equal(web?.running, 1, 'the slot stayed empty');
    assert.match(rm.stderr(), /worker stopped watcher=web wid=1 .*code=0/);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
