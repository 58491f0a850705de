import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startHttpEndpoint } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import type { InitSnapshot } from '../../src/lifecycle/api.js';
import { snapshot, watcher } from '../helpers/snapshot.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, method = 'GET', agent: Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function quietLog(lines: string[] = []) {
  return createLogger({ verbosity: 4, write: (l) => lines.push(l) });
}

async function withEndpoint(
  snap: () => InitSnapshot,
  fn: (url: string) => Promise<void>,
  opts: { metrics?: boolean } = {},
): Promise<void> {
  const ep = await startHttpEndpoint({ host: '127.0.0.1', port: 0, snapshot: snap, log: quietLog(), ...opts });
  try {
    await fn(ep.url);
  } finally {
    await ep.close();
  }
}

test('endpoint: /livez, /readyz, /healthz, /metrics answer with their status and content type', async () => {
  let snap = snapshot({ watchers: [watcher('web')] });
  await withEndpoint(
    () => snap,
    async (url) => {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const live = await call(`${url}/livez`);
      assert.equal(live.status, 200);
      assert.equal(live.body, 'ok\n');
      assert.equal(live.headers['content-type'], 'text/plain; charset=utf-8');

      for (const path of ['/readyz', '/healthz', '/readyz?verbose=1']) {
        const r = await call(`${url}${path}`);
        assert.equal(r.status, 200, path);
        assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(JSON.parse(r.body).status, 'ready');
      }

      snap = snapshot({ watchers: [watcher('web', { ready: 1 })] });
      const notReady = await call(`${url}/readyz`);
      assert.equal(notReady.status, 503);
      assert.deepEqual(JSON.parse(notReady.body).reasons, [{ watcher: 'web', reason: 'not enough ready workers: 1 of 2' }]);

      snap = snapshot({ watchers: [watcher('web', { phase: 'fatal', ready: 0, running: 0, fatalReason: '6 quick failures in a row' })] });
      const dead = await call(`${url}/livez`);
      assert.equal(dead.status, 503, 'a FATAL watcher does not come back by itself');
      assert.equal(dead.body, 'not alive\nwatcher web: FATAL: 6 quick failures in a row\n');

      snap = snapshot({ phase: 'draining', watchers: [watcher('web')] });
      assert.equal((await call(`${url}/healthz`)).status, 503);
      assert.equal((await call(`${url}/livez`)).status, 200, '/livez stays 200 while draining');

      const m = await call(`${url}/metrics`);
      assert.equal(m.status, 200);
      assert.equal(m.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(m.body, /^ringmaster_watcher_processes\{watcher="web"\} 2$/m);
    },
  );
});

test('endpoint: HEAD has the headers and no body; other methods 405; unknown paths 404', async () => {
  await withEndpoint(
    () => snapshot(),
    async (url) => {
      const head = await call(`${url}/livez`, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], '3');
      assert.equal((await call(`${url}/metrics`, 'HEAD')).status, 200);

      for (const method of ['POST', 'PUT', 'DELETE']) {
        const r = await call(`${url}/readyz`, method);
        assert.equal(r.status, 405, method);
        assert.equal(r.headers.allow, 'GET, HEAD');
      }
      for (const path of ['/', '/metrics/', '/ready', '/favicon.ico']) assert.equal((await call(`${url}${path}`)).status, 404, path);
      assert.equal((await call(`${url}/nope`, 'POST')).status, 404);
    },
  );
});

test('endpoint: metrics off: /metrics is 404, probes still answer', async () => {
  await withEndpoint(
    () => snapshot(),
    async (url) => {
      assert.equal((await call(`${url}/metrics`)).status, 404);
      assert.equal((await call(`${url}/readyz`)).status, 200);
    },
    { metrics: false },
  );
});

test('endpoint: a snapshot that throws gives 500 and a log line, and the endpoint keeps serving', async () => {
  const lines: string[] = [];
  const ep = await startHttpEndpoint({
    host: '127.0.0.1',
    port: 0,
    log: quietLog(lines),
    snapshot: () => {
      throw new Error('boom');
    },
  });
  try {
    assert.equal((await call(`${ep.url}/metrics`)).status, 500);
    assert.equal((await call(`${ep.url}/readyz`)).status, 500);
    assert.equal((await call(`${ep.url}/livez`)).status, 200);
    assert.ok(lines.some((l) => /metrics scrape failed.*boom/.test(l)), lines.join(''));
  } finally {
    await ep.close();
  }
});

test('endpoint: close() frees the port, drops keep-alive connections, and is idempotent', async () => {
  const agent = new Agent({ keepAlive: true });
  const ep = await startHttpEndpoint({ host: '127.0.0.1', port: 0, snapshot: () => snapshot(), log: quietLog() });
  try {
    assert.equal((await call(`${ep.url}/livez`, 'GET', agent)).status, 200);
    assert.equal((await call(`${ep.url}/metrics`, 'GET', agent)).status, 200);
  } finally {
    await Promise.all([ep.close(), ep.close()]);
    agent.destroy();
  }
  await assert.rejects(call(`${ep.url}/livez`), { code: 'ECONNREFUSED' });
  const again = createServer();
  again.listen({ host: '127.0.0.1', port: ep.port, exclusive: true });
  await once(again, 'listening');
  again.close();
  await once(again, 'close');
});

test('endpoint: a port in use is an RM_SOCKET error that names the address', async () => {
  const taken = createServer();
  taken.listen({ host: '127.0.0.1', port: 0 });
  await once(taken, 'listening');
  const port = (taken.address() as { port: number }).port;
  try {
    await assert.rejects(startHttpEndpoint({ host: '127.0.0.1', port, snapshot: () => snapshot(), log: quietLog() }), {
      code: 'RM_SOCKET',
      message: new RegExp(`127\\.0\\.0\\.1:${port}: EADDRINUSE`),
    });
  } finally {
    taken.close();
    await once(taken, 'close');
  }
});
