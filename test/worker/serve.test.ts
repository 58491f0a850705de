import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startProcess, startRingmaster, FIXTURES, childPids, sleep } from '../helpers/run.js';
import { get, portFromLog } from '../helpers/http.js';
import { tempDir } from '../helpers/config.js';
import { parseServeArgs, ServeUsageError } from '../../src/worker/serve.js';

test('serve arguments: --fd, --bind forms, MODULE#export, defaults from LISTEN_FDS', () => {
  assert.deepEqual(parseServeArgs(['app.mjs'], { LISTEN_FDS: '2' }).target, { fd: 3 });
  assert.deepEqual(parseServeArgs(['app.mjs'], {}).target, { fd: 3 });
  assert.deepEqual(parseServeArgs(['--fd', '5', 'app.mjs#handler']), { target: { fd: 5 }, module: 'app.mjs', exportName: 'handler', graceMs: 10_000 });
  assert.deepEqual(parseServeArgs(['--bind', 'fd://4', 'a']).target, { fd: 4 });
  assert.deepEqual(parseServeArgs(['--bind', 'unix:/run/a.sock', 'a']).target, { path: '/run/a.sock' });
  assert.deepEqual(parseServeArgs(['--bind', '127.0.0.1:8080', 'a']).target, { host: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseServeArgs(['--bind', '[::1]:80', 'a']).target, { host: '::1', port: 80 });
  assert.deepEqual(parseServeArgs(['--bind', ':8080', 'a']).target, { host: undefined, port: 8080 });
  assert.equal(parseServeArgs(['--grace', '2.5', 'a']).graceMs, 2500);
  for (const bad of [[], ['--fd', 'x', 'a'], ['--bind', 'nope', 'a'], ['--bogus', 'a'], ['a', 'b'], ['--grace']]) {
    assert.throws(() => parseServeArgs(bad), ServeUsageError, bad.join(' '));
  }
});

async function pool(cmd: string, n = 2, extra = '') {
  const t = tempDir();
  const cfg = `sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  web:
    cmd: ${cmd}
    numprocesses: ${n}
    use_sockets: true
    ready: notify
${extra}`;
  const rm = startRingmaster(['-c', t.write('s.yaml', cfg)]);
  await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= n);
  return { rm, t, url: `http://127.0.0.1:${portFromLog(rm.stderr(), 'web')}` };
}

test('ringmaster serve: a handler module, ready by notify, several workers on one socket', async () => {
  const { rm, t, url } = await pool(`node bin/ringmaster serve ${FIXTURES}apps/handler.mjs`);
  try {
    const r = await get(`${url}/`);
    assert.match(r.body, /^handler \d+ wid=\d/);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('ringmaster serve: a named export and an Express app', async () => {
  for (const [spec, re] of [
    [`${FIXTURES}apps/handler.mjs#named`, /^named export/],
    [`${FIXTURES}apps/express-export.mjs`, /^express \d+/],
  ] as const) {
    const { rm, t, url } = await pool(`node bin/ringmaster serve ${spec}`, 1);
    try {
      assert.match((await get(`${url}/`)).body, re);
      process.kill(await rm.initPid(), 'SIGTERM');
      assert.equal((await rm.exit()).code, 0, rm.stderr());
    } finally {
      await rm.close();
      t.cleanup();
    }
  }
});

test('ringmaster serve: SIGTERM lets an in-flight request finish, then exits 0', async () => {
  const { rm, t, url } = await pool(`node bin/ringmaster serve ${FIXTURES}apps/handler.mjs`, 1);
  try {
    const init = await rm.initPid();
    const inflight = get(`${url}/slow?ms=600`);
    await sleep(150);
    process.kill(init, 'SIGTERM');
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.match(r.body, /^slow/);
    const e = await rm.exit();
    assert.equal(e.code, 0, rm.stderr());
    assert.match(rm.stderr(), /worker stopped watcher=web wid=1 pid=\d+ code=0/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('ringmaster serve: a bad module is a usage error (64)', async () => {
  const rm = startRingmaster(['serve', '--fd', '3', `${FIXTURES}apps/handler.mjs#nope`], { pid1: false });
  try {
    const r = await rm.exit();
    assert.equal(r.code, 64);
    assert.match(rm.stderr(), /has no export named "nope"/);
  } finally {
    await rm.close();
  }
});

test('the preload: an unmodified Express app calling app.listen(3000) serves on the inherited socket', async () => {
  const { rm, t, url } = await pool(`node --import ringmaster/preload ${FIXTURES}apps/express-listen.mjs`, 2);
  try {
    const r = await get(`${url}/`);
    assert.match(r.body, /^express-listen \d+/);
    const init = await rm.initPid();
    assert.equal(childPids(init).length, 2);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('ringmaster serve: an http.Server, a handler property, a Koa-style callback(), a Fastify-style app (ready() awaited)', async () => {
  for (const [name, body] of [
    ['server', 'http.Server\n'],
    ['withHandler', 'handler property\n'],
    ['koaLike', 'callback()\n'],
    ['fastifyLike', 'fastify-style ready=true\n'],
  ] as const) {
    const { rm, t, url } = await pool(`node bin/ringmaster serve ${FIXTURES}apps/shapes.mjs#${name}`, 1);
    try {
      assert.equal((await get(`${url}/`)).body, body, name);
      process.kill(await rm.initPid(), 'SIGTERM');
      assert.equal((await rm.exit()).code, 0, rm.stderr());
    } finally {
      await rm.close();
      t.cleanup();
    }
  }
});

test('ringmaster serve --bind unix:PATH serves on a socket file of its own (no ringmaster around it)', async () => {
  const t = tempDir();
  const path = `${t.dir}/s.sock`;
  const p = startProcess([process.execPath, 'bin/ringmaster', 'serve', '--bind', `unix:${path}`, `${FIXTURES}apps/handler.mjs#named`], { pid1: false });
  try {
    for (let i = 0; i < 100 && !existsSync(path); i++) await sleep(20);
    assert.equal((await get('http://x/', { socketPath: path })).body, 'named export\n');
    p.proc.kill('SIGTERM');
    assert.equal((await p.exit()).code, 0);
  } finally {
    await p.close();
    t.cleanup();
  }
});
