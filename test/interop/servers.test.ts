/**
 * Real servers from Debian as ringmaster workers: gunicorn, uvicorn, hypercorn, uWSGI
 * (installed by .ci/run; run with `npm run test:interop`), and Node through
 * `ringmaster serve` and the preload. For each: several workers on one socket, SIGKILL of
 * a worker with no refused connection, graceful stop on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster, FIXTURES, childPids, sleep } from '../helpers/run.js';
import { get, hammer, portFromLog } from '../helpers/http.js';
import { tempDir } from '../helpers/config.js';

const PY = `${FIXTURES}py`;
const HTTP_READY = 'ready: {http: "http://127.0.0.1:$(circus.sockets.web.port)/", timeout: 30}';

const SERVERS: Array<{ name: string; watcher: string; body: RegExp }> = [
  {
    name: 'gunicorn -b fd://N',
    watcher: `cmd: gunicorn -b fd://$(circus.sockets.web) -w 1 wsgi_app:app\n    working_dir: ${PY}\n    ${HTTP_READY}`,
    body: /^wsgi \d+ wid=[12]/,
  },
  {
    name: 'gunicorn through LISTEN_FDS/LISTEN_PID, ready by sd_notify',
    watcher: `cmd: gunicorn -w 1 wsgi_app:app\n    working_dir: ${PY}\n    listen_pid: true\n    ready: notify timeout=30`,
    body: /^wsgi \d+ wid=[12]/,
  },
  {
    name: 'uvicorn --fd N',
    watcher: `cmd: uvicorn --fd $(circus.sockets.web) asgi_app:app\n    working_dir: ${PY}\n    ${HTTP_READY}`,
    body: /^asgi \d+ wid=[12]/,
  },
  {
    name: 'hypercorn --bind fd://N',
    watcher: `cmd: hypercorn --bind fd://$(circus.sockets.web) asgi_app:app\n    working_dir: ${PY}\n    ${HTTP_READY}`,
    body: /^asgi \d+ wid=[12]/,
  },
  {
    name: 'uWSGI --http-socket fd://N (it takes SIGTERM as reload: stop_signal INT)',
    watcher: `cmd: uwsgi --plugin python3 --http-socket fd://$(circus.sockets.web) --wsgi-file wsgi_app.py\n    working_dir: ${PY}\n    stop_signal: INT\n    ${HTTP_READY}`,
    body: /^wsgi \d+ wid=[12]/,
  },
  {
    name: 'Node through ringmaster serve',
    watcher: `cmd: node ${FIXTURES}../bin/ringmaster serve ${FIXTURES}apps/handler.mjs\n    ready: notify`,
    body: /^handler \d+ wid=[12]/,
  },
  {
    name: 'Node Express app through the preload',
    watcher: `cmd: node --import ringmaster/preload ${FIXTURES}apps/express-listen.mjs\n    ready: notify`,
    body: /^express-listen \d+/,
  },
];

for (const s of SERVERS) {
  test(`${s.name}: serves with 2 workers, survives SIGKILL of one with no refused connection, stops on SIGTERM`, async () => {
    const t = tempDir();
    const cfg = `sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  web:
    ${s.watcher}
    numprocesses: 2
    use_sockets: true
    graceful_timeout: 10
`;
    const rm = startRingmaster(['-c', t.write('interop.yaml', cfg)]);
    try {
      await rm.waitStderr((e) => (e.match(/worker ready/g) ?? []).length >= 2, 30_000);
      const url = `http://127.0.0.1:${portFromLog(rm.stderr(), 'web')}/`;
      const first = await get(url);
      assert.equal(first.status, 200);
      assert.match(first.body, s.body);

      const init = await rm.initPid();
      const victim = childPids(init)[0] as number;
      const client = hammer(url);
      await sleep(300);
      process.kill(victim, 'SIGKILL');
      await rm.waitStderr((e) => (e.match(/worker ready/g) ?? []).length >= 3, 30_000);
      await sleep(300);
      const { ok, errors } = await client.stop();
      // The one request the killed worker had accepted may be cut (the client is sequential,
      // so at most one); a refused connection never happens: the socket stays open.
      assert.deepEqual(errors.filter((e) => /ECONNREFUSED/.test(e)), [], 'connection refused');
      assert.ok(errors.length <= 1, `${errors.length} failed requests of ${ok + errors.length}: ${errors.join(', ')}`);
      assert.ok(ok > 5);

      process.kill(init, 'SIGTERM');
      const r = await rm.exit(30_000);
      assert.equal(r.code, 0, rm.stderr());
      assert.doesNotMatch(rm.stderr(), /worker stopped .*signal=SIGKILL/, 'a worker had to be killed');
    } finally {
      await rm.close();
      t.cleanup();
    }
  });
}
