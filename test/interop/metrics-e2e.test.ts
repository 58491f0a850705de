/** promtool on the /metrics of a real ringmaster, with workers, sockets, a restart and a reload. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startRingmaster, FIXTURES, childPids } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { get } from '../helpers/http.js';

test('promtool check metrics passes on a running ringmaster, with no output', async () => {
  const t = tempDir();
  const cfg = `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
sockets:
  web:
    host: 127.0.0.1
    port: 0
  v6:
    host: "::1"
    port: 0
watchers:
  web:
    cmd: node ${FIXTURES}worker-http.mjs $(circus.sockets.web)
    sockets: [web, v6]
    numprocesses: 2
  signals:
    cmd: node ${FIXTURES}sigworker.mjs
    depends_on: [migrate]
tasks:
  migrate:
    cmd: sh -c "echo migrated"
  cleanup:
    cmd: "true"
    when: stop
`;
  const rm = startRingmaster(['-c', t.write('m.yaml', cfg)]);
  try {
    await rm.waitStdout((s) => (s.match(/listening \d+/g) ?? []).length >= 2);
    await rm.waitStderr((s) => s.includes('http endpoint listening'));
    const base = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1];
    assert.ok(base);
    const init = await rm.initPid();
    process.kill(childPids(init)[0] as number, 'SIGKILL');
    process.kill(init, 'SIGUSR1');
    await ctl(rm, ['reload']);
    await rm.waitStderr((s) => s.includes('worker exited'));
    const text = (await get(`${base}/metrics`)).body;
    assert.match(text, /ringmaster_socket_accept_queue\{socket="v6"\}/);
    assert.match(text, /ringmaster_task_runs_total\{task="migrate",result="success"\} 1/);
    assert.match(text, /ringmaster_task_duration_seconds\{task="migrate"\}/);
    const r = await new Promise<{ code: number; out: string }>((resolve, reject) => {
      const p = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') reject(new Error('promtool not found: apt-get install prometheus'));
        else resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
      });
      p.stdin?.end(text);
    });
    assert.deepEqual(r, { code: 0, out: '' }, text);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});
