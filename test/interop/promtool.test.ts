/**
 * `promtool check metrics` (Debian package `prometheus`, installed by .ci/run) on the
 * real /metrics output of the HTTP endpoint for a realistic snapshot: it must exit 0
 * and print nothing, not even a lint warning. Run with `npm run test:interop`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { readlinkSync } from 'node:fs';
import { startHttpEndpoint } from '../../src/http/server.js';
import { createLogger } from '../../src/log/logger.js';
import { bindAndListen, closeSocket, localPort } from '../../src/sys/socket.js';
import type { InitSnapshot } from '../../src/lifecycle/api.js';
import { get } from '../helpers/http.js';
import { snapshot, watcher, worker } from '../helpers/snapshot.js';

function promtool(text: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('promtool not found: install the Debian package "prometheus" (apt-get install --no-install-recommends prometheus)'));
        return;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    p.stdin?.end(text);
  });
}

async function scrapeEndpoint(snap: () => InitSnapshot): Promise<string> {
  const ep = await startHttpEndpoint({ host: '127.0.0.1', port: 0, snapshot: snap, log: createLogger({ write: () => {} }) });
  try {
    const r = await get(`${ep.url}/metrics`);
    assert.equal(r.status, 200);
    return r.body;
  } finally {
    await ep.close();
  }
}

test('promtool check metrics: a realistic init (2 watchers, sockets with waiting connections, reloads) passes with no output', async () => {
  const kids: ChildProcess[] = [];
  const clients: Socket[] = [];
  const fd = bindAndListen({ family: 'inet', address: '127.0.0.1', port: 0 }, { backlog: 64 });
  try {
    for (let i = 0; i < 3; i++) {
      const c = spawn('sleep', ['1000'], { stdio: 'ignore' });
      kids.push(c);
      await once(c, 'spawn');
    }
    const port = localPort(fd);
    for (let i = 0; i < 2; i++) {
      const s = connect({ host: '127.0.0.1', port });
      clients.push(s);
      await once(s, 'connect');
    }
    const inode = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]);
    const [a, b, c] = kids.map((k) => k.pid as number) as [number, number, number];
    const snap = snapshot({
      watchers: [
        watcher('web', {
          desired: 2,
          running: 2,
          ready: 2,
          restarts: 3,
          exits: { exited: 1, failed: 2, signaled: 1, oom: 1, spawn_failed: 0, stopped: 4 },
          workers: [worker(1, a), worker(2, b)],
          rollout: { state: 'done', message: '2 workers replaced', at: Date.now() },
        }),
        watcher('jobs', { phase: 'fatal', desired: 1, running: 0, ready: 0, fatalReason: 'exited 6 times in a row', workers: [worker(1, c)] }),
      ],
      sockets: [
        { name: 'web', url: `tcp://127.0.0.1:${port}`, family: 'inet', port, inode, backlog: 64, so_reuseport: false },
        { name: 'admin', url: 'unix:/run/admin.sock', family: 'unix', port: undefined, inode: undefined, backlog: 64, so_reuseport: false },
      ],
      zombiesReaped: 12,
      signalsForwarded: { SIGHUP: 1, SIGTERM: 1, SIGUSR2: 3 },
      reloads: { success: 2, failure: 1, lastSuccessAt: Date.now(), lastError: 'watchers.web.numprocesses must be an integer' },
    });
    const text = await scrapeEndpoint(() => snap);
    assert.match(text, /^ringmaster_socket_accept_queue\{socket="web"\} \d+$/m);
    assert.match(text, /^ringmaster_watcher_cpu_seconds_total\{watcher="web"\} /m);
    const r = await promtool(text);
    assert.deepEqual(r, { code: 0, stdout: '', stderr: '' }, text);
  } finally {
    await Promise.all(
      clients.map(async (s) => {
        const closed = once(s, 'close');
        s.destroy();
        await closed;
      }),
    );
    closeSocket(fd);
    await Promise.all(
      kids.map(async (k) => {
        const exited = once(k, 'exit');
        k.kill('SIGKILL');
        await exited;
      }),
    );
  }
});

test('promtool check metrics: an init with nothing yet (no watchers, no sockets) passes with no output', async () => {
  const text = await scrapeEndpoint(() => snapshot({ phase: 'starting' }));
  assert.deepEqual(await promtool(text), { code: 0, stdout: '', stderr: '' }, text);
});

test('promtool check metrics: catches what it should (so a pass means something)', async () => {
  const bad = '# HELP x_total A gauge named like a counter.\n# TYPE x_total gauge\nx_total 1\n';
  const r = await promtool(bad);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /non-counter metrics should not have "_total" suffix/);
});
