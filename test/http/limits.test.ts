/**
 * A client cannot use up the init's file descriptors through its HTTP endpoint: the
 * endpoint holds a bounded number of connections (closing the oldest idle one for a new
 * one, so probes get in) and closes connections that stay idle or send a request slowly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { HTTP_LIMITS, startHttpEndpoint, type HttpLimits } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import { startRingmaster } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { get } from '../helpers/http.js';
import { parseExposition } from './fake.js';
import { snapshot } from '../helpers/snapshot.js';

interface Client {
  socket: Socket;
  closed: boolean;
  /** what the server sent */
  data: string;
  close(): Promise<void>;
}

async function open(port: number, send = ''): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  const c: Client = {
    socket,
    closed: false,
    data: '',
    close: async () => {
      if (c.closed) return;
      socket.destroy();
      await once(socket, 'close');
    },
  };
  socket.setEncoding('utf8').on('data', (d: string) => (c.data += d));
  socket.on('error', () => {});
  socket.once('close', () => (c.closed = true));
  await once(socket, 'connect');
  if (send) socket.write(send);
  return c;
}

async function until(what: string, fn: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function withEndpoint(limits: Partial<HttpLimits>, fn: (port: number, lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const ep = await startHttpEndpoint({ host: '127.0.0.1', port: 0, snapshot: () => snapshot(), log: createLogger({ verbosity: 4, write: (l) => lines.push(l) }), limits });
  try {
    await fn(ep.port, lines);
  } finally {
    await ep.close();
  }
}

test('http limits: at maxConnections a new connection closes the oldest idle one, so a probe still gets in; counted in a metric', async () => {
  await withEndpoint({ maxConnections: 4 }, async (port, lines) => {
    const idle: Client[] = [];
    try {
      for (let i = 0; i < 4; i++) idle.push(await open(port));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(idle.map((c) => c.closed), [false, false, false, false], 'closed below the cap');
      idle.push(await open(port));
      await until('the oldest idle connection to be closed', () => idle[0]?.closed === true);
      const live = await get(`http://127.0.0.1:${port}/livez`);
      assert.equal(live.status, 200);
      await until('the next oldest to be closed', () => idle[1]?.closed === true);
      assert.deepEqual(idle.map((c) => c.closed), [true, true, false, false, false]);
      const m = parseExposition((await get(`http://127.0.0.1:${port}/metrics`)).body).values;
      assert.equal(m.get('ringmaster_http_connections_dropped_total'), 2);
      assert.equal(lines.filter((l) => l.includes('too many connections')).length, 1, 'logged once, not per connection');
    } finally {
      await Promise.all(idle.map((c) => c.close()));
    }
  });
});

test('http limits: connections idle, with headers never finished, or kept alive after a response are closed by the endpoint', async () => {
  await withEndpoint({ headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 600, keepAliveTimeoutMs: 300 }, async (port) => {
    const clients = [
      await open(port),
      await open(port, 'GET /livez HTTP/1.1\r\nHost: x\r\n'),
      await open(port, 'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n'),
    ];
    try {
      await until('the endpoint to close all three', () => clients.every((c) => c.closed));
      assert.match(clients[2]?.data ?? '', /^HTTP\/1\.1 200 /, 'the complete request was answered first');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

test('http limits: the init holds at most the default cap of connections to http_port and /livez answers beside them', async () => {
  const t = tempDir();
  const cfg = t.write('r.yaml', `ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\nwatchers:\n  w:\n    cmd: sleep 60\n`);
  const rm = startRingmaster(['-c', cfg]);
  const clients: Client[] = [];
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    const port = Number(/http endpoint listening url=http:\/\/127\.0\.0\.1:(\d+)/.exec(rm.stderr())?.[1]);
    const n = HTTP_LIMITS.maxConnections + 8;
    for (let i = 0; i < n; i++) clients.push(await open(port));
    await until('the connections beyond the cap to be closed', () => clients.filter((c) => c.closed).length >= n - HTTP_LIMITS.maxConnections);
    assert.equal((await get(`http://127.0.0.1:${port}/livez`)).status, 200);
    assert.ok(clients.filter((c) => !c.closed).length <= HTTP_LIMITS.maxConnections);
    assert.match(rm.stderr(), /too many connections/);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await rm.close();
    t.cleanup();
  }
});
