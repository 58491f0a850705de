/**
 * Real servers from Debian as ringmaster workers: gunicorn, uvicorn, hypercorn, uWSGI
 * (installed by .ci/run; run with `npm run test:interop`), and Node through
 * `ringmaster serve` and the preload, each from the README's examples/workers/ file. For
 * each: several workers on one socket, SIGKILL of a worker with no refused connection,
 * graceful stop on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { startRingmaster, ROOT, childPids, sleep } from '../helpers/run.js';
import { get, hammer, portFromLog } from '../helpers/http.js';

/** The README's worker examples, run as they are (PORT=0 picks a free port). */
const EXAMPLES = `${ROOT}examples/workers/`;
const SERVERS = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ name: `examples/workers/${f}`, path: `${EXAMPLES}${f}` }));

test('every worker example of the README is here', () => {
  assert.deepEqual(
    SERVERS.map((s) => s.name.replace(/^.*\//, '')),
    ['gunicorn-systemd.yaml', 'gunicorn.yaml', 'hypercorn.yaml', 'node-preload.yaml', 'node-serve.yaml', 'uvicorn.yaml', 'uwsgi.yaml'],
  );
});

for (const s of SERVERS) {
  test(`${s.name}: serves with 2 workers, survives SIGKILL of one with no refused connection, stops on SIGTERM`, async () => {
    const rm = startRingmaster(['-c', s.path], { env: { ...process.env, PORT: '0' } });
    try {
      await rm.waitStderr((e) => (e.match(/worker ready/g) ?? []).length >= 2, 30_000);
      const url = `http://127.0.0.1:${portFromLog(rm.stderr(), 'web')}/`;
      const first = await get(url);
      assert.equal(first.status, 200);
      assert.match(first.body, /^hello from \S+/);

      const init = await rm.initPid();
      const victim = childPids(init)[0] as number;
      const client = hammer(url);
      await sleep(300);
      process.kill(victim, 'SIGKILL');
      await rm.waitStderr((e) => (e.match(/worker ready/g) ?? []).length >= 3, 30_000);
      if (s.name.includes('gunicorn')) {
        // The replacement's own gunicorn worker must have booted before the SIGTERM below. A
        // TERM that reaches a gunicorn worker while it still has its master's handlers (which
        // only queue the signal) is lost, and the master then waits out its own graceful
        // timeout (30 s) for it: seen in CI. Ready by http on the shared socket does not say
        // it, since the other worker answers; the worker logs this line as it starts.
        await rm.waitStderr((e) => (e.match(/Booting worker with pid/g) ?? []).length >= 3, 30_000);
      }
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
    }
  });
}
