/**
 * The accept-queue metrics against real listening sockets: connections nobody accepts
 * wait in the kernel's queue, and the scrape must see them there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import { bindAndListen, closeSocket, localPort } from '../../src/sys/socket.js';
import { createMetrics } from '../../src/metrics/index.js';
import type { SocketSnapshot } from '../../src/lifecycle/api.js';
import { parseExposition } from './fake.js';
import { snapshot } from '../helpers/snapshot.js';

/** Our open socket fds, to check that every test closed what it opened. */
function socketFds(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((t) => t.startsWith('socket:'))
    .sort();
}
const SOCKETS_AT_START = socketFds();

function inodeOf(fd: number): number {
  const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
  assert.ok(m, `fd ${fd} is not a socket`);
  return Number(m[1]);
}

/** Clients that connect and are never accepted; close() destroys them and waits. */
function clients(host: string, port: number, n: number) {
  const socks: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = connect({ host, port });
    s.on('error', () => {}); // a client whose SYN the full queue dropped may be reset at close
    socks.push(s);
  }
  return {
    connected: () => Promise.all(socks.map((s) => (s.readyState === 'open' ? undefined : once(s, 'connect')))),
    close: async () => {
      await Promise.all(
        socks.map(async (s) => {
          if (!s.destroyed || !s.closed) {
            const closed = once(s, 'close');
            s.destroy();
            await closed;
          }
        }),
      );
    },
  };
}

/** Scrape until `pred` holds for the parsed values (the kernel updates the queue as ACKs land), at most 5 s. */
async function scrapeUntil(sockets: SocketSnapshot[], pred: (v: Map<string, number>) => boolean): Promise<Map<string, number>> {
  const m = createMetrics(() => snapshot({ sockets }));
  const end = Date.now() + 5_000;
  for (;;) {
    const { values } = parseExposition(await m.render());
    if (pred(values) || Date.now() > end) return values;
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const family of ['inet', 'inet6'] as const) {
  const host = family === 'inet' ? '127.0.0.1' : '::1';
  test(`accept queue (${family}): 5 connections nobody accepts read 5, the max reads the backlog`, async () => {
    const fd = bindAndListen({ family, address: host, port: 0 }, { backlog: 7 });
    const port = localPort(fd);
    const c = clients(host, port, 5);
    try {
      await c.connected();
      const sockets: SocketSnapshot[] = [
        { name: 'web', url: `tcp://${host}:${port}`, family, port, inode: inodeOf(fd), backlog: 7, so_reuseport: false },
        { name: 'gone', url: 'tcp://127.0.0.1:1', family: 'inet', port: 1, inode: 1, backlog: 7, so_reuseport: false },
        { name: 'sock', url: 'unix:/run/x.sock', family: 'unix', port: undefined, inode: undefined, backlog: 7, so_reuseport: false },
      ];
      const v = await scrapeUntil(sockets, (x) => x.get('ringmaster_socket_accept_queue{socket="web"}') === 5);
      assert.equal(v.get('ringmaster_socket_accept_queue{socket="web"}'), 5);
      assert.equal(v.get('ringmaster_socket_accept_queue_max{socket="web"}'), 7);
      // No LISTEN row (an unknown inode, a unix socket): no series rather than a made-up 0.
      assert.deepEqual([...v.keys()].filter((k) => /socket="(gone|sock)"/.test(k)), []);
    } finally {
      await c.close();
      closeSocket(fd);
    }
  });
}

test('accept queue: an SO_REUSEPORT group (no inode) sums the LISTEN rows of its port', async () => {
  const a = bindAndListen({ family: 'inet', address: '127.0.0.1', port: 0 }, { backlog: 7, reusePort: true });
  const port = localPort(a);
  let b: number | undefined;
  let c: ReturnType<typeof clients> | undefined;
  try {
    b = bindAndListen({ family: 'inet', address: '127.0.0.1', port }, { backlog: 7, reusePort: true });
    c = clients('127.0.0.1', port, 4);
    await c.connected();
    const sockets: SocketSnapshot[] = [
      { name: 'web', url: `tcp://127.0.0.1:${port}`, family: 'inet', port, inode: undefined, backlog: 7, so_reuseport: true },
    ];
    const v = await scrapeUntil(sockets, (x) => x.get('ringmaster_socket_accept_queue{socket="web"}') === 4);
    assert.equal(v.get('ringmaster_socket_accept_queue{socket="web"}'), 4);
    assert.equal(v.get('ringmaster_socket_accept_queue_max{socket="web"}'), 14);
  } finally {
    await c?.close();
    if (b !== undefined) closeSocket(b);
    closeSocket(a);
  }
});

test('listen overflows and drops count the connections a full accept queue turns away', async () => {
  // backlog 1: the queue holds 2 (the kernel drops when more than the backlog wait), the 3rd SYN is dropped.
  const fd = bindAndListen({ family: 'inet', address: '127.0.0.1', port: 0 }, { backlog: 1 });
  const port = localPort(fd);
  const before = await scrapeUntil([], () => true);
  const overflows0 = before.get('ringmaster_listen_overflows_total') ?? NaN;
  const drops0 = before.get('ringmaster_listen_drops_total') ?? NaN;
  assert.ok(Number.isFinite(overflows0) && Number.isFinite(drops0));
  const c = clients('127.0.0.1', port, 4);
  try {
    const after = await scrapeUntil([], (x) => (x.get('ringmaster_listen_overflows_total') ?? 0) > overflows0);
    assert.ok((after.get('ringmaster_listen_overflows_total') ?? 0) > overflows0, 'ListenOverflows did not move');
    assert.ok((after.get('ringmaster_listen_drops_total') ?? 0) > drops0, 'ListenDrops did not move');
  } finally {
    await c.close();
    closeSocket(fd);
  }
});

test('accept queue tests: no socket fd left open', () => {
  assert.deepEqual(socketFds(), SOCKETS_AT_START);
});
