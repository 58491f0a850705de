/**
 * `backlog` is what the kernel has: the preload and `ringmaster serve` call listen() on the
 * inherited fd with the socket's own backlog (Node's default 511 would replace it), and
 * ringmaster_socket_accept_queue_max reports the kernel's value (TCP_INFO), so it agrees
 * with `ss` also for a worker that resets it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ROOT } from '../helpers/run.js';
import { startRingmaster, FIXTURES, BIN } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { get, portFromLog } from '../helpers/http.js';

/** Send-Q of the LISTEN row of 127.0.0.1:port, as `ss -ltn` shows it (the backlog). */
function ssBacklog(port: number): number | undefined {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  const row = out.split('\n').find((l) => l.includes(`127.0.0.1:${port} `));
  return row === undefined ? undefined : Number(row.trim().split(/\s+/)[2]);
}

// gunicorn (from Debian, as the interop tests use it) resets the backlog to its own 2048
const GUNICORN = ['/usr/bin/gunicorn', '/usr/local/bin/gunicorn'].find((p) => existsSync(p));

test('backlog: 64 stays 64 under the preload and serve; the metric says what the kernel has, 511 after a plain listen({fd}), gunicorn\'s 2048', async () => {
  const names = ['pre', 'srv', 'raw', ...(GUNICORN ? ['gun'] : [])];
  const t = tempDir();
  const raw = t.write('raw.cjs', "require('node:http').createServer((q, s) => s.end('raw')).listen({ fd: 3 });\n");
  const cfg = t.write(
    'rm.yaml',
    `ringmaster: {http_host: 127.0.0.1, http_port: 0}
sockets:
  pre: {host: 127.0.0.1, port: 0, backlog: 64}
  srv: {host: 127.0.0.1, port: 0, backlog: 64}
  raw: {host: 127.0.0.1, port: 0, backlog: 64}
  gun: {host: 127.0.0.1, port: 0, backlog: 64}
watchers:
  pre:
    cmd: node --import $(ringmaster.preload) ${FIXTURES}apps/listen-no-handler.mjs
    sockets: [pre]
    ready: notify
  srv:
    cmd: node ${BIN} serve ${FIXTURES}apps/handler.mjs
    sockets: [srv]
    ready: notify
  raw:
    cmd: node ${raw}
    sockets: [raw]
${GUNICORN ? `  gun:\n    cmd: ${GUNICORN} -b fd://$(circus.sockets.gun) -w 1 app:wsgi\n    working_dir: ${ROOT}examples/python\n` : ''}`,
  );
  const rm = startRingmaster(['-c', cfg]);
  try {
    await rm.waitStderr((s) => (s.match(/worker ready watcher=(pre|srv)/g) ?? []).length >= 2 && s.includes('http endpoint listening'));
    const port = (name: string): number => portFromLog(rm.stderr(), name) as number;
    // every worker answers: each has called listen() on its fd
    for (const name of names) {
      for (let i = 0; ; i++) {
        const ok = await get(`http://127.0.0.1:${port(name)}/`).then((r) => r.status === 200, () => false);
        if (ok) break;
        assert.ok(i < 400, `${name} never answered`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await rm.waitStderr((s) => s.includes('http endpoint listening'));
    const metricsUrl = `${/http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1] as string}/metrics`;
    const metrics = (await get(metricsUrl)).body;
    const metric = (name: string): number => Number(new RegExp(`^ringmaster_socket_accept_queue_max\\{socket="${name}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    assert.equal(ssBacklog(port('pre')), 64);
    assert.equal(ssBacklog(port('srv')), 64);
    const rawKernel = ssBacklog(port('raw'));
    assert.ok(rawKernel !== undefined && rawKernel !== 64, `raw: ${rawKernel}`);
    if (GUNICORN) assert.notEqual(ssBacklog(port('gun')), 64);
    for (const name of names) assert.equal(metric(name), ssBacklog(port(name)), name);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});
