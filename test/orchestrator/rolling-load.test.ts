/**
 * Zero downtime, measured: autocannon loads the shared socket while every worker is
 * replaced by a rolling restart, with keep-alive connections and with `Connection: close`.
 * Bounded: 10 connections, a few seconds, loopback only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import autocannon from 'autocannon';
import { startRingmaster, FIXTURES, childPids } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { portFromLog } from '../helpers/http.js';

for (const mode of ['keep-alive', 'Connection: close'] as const) {
  test(`rolling restart of every worker under load (${mode}): no failed request, no connection error`, async () => {
    const t = tempDir();
    const cfg = `sockets:
  web:
    host: 127.0.0.1
    port: 0
watchers:
  web:
    cmd: node bin/ringmaster serve ${FIXTURES}apps/handler.mjs
    use_sockets: true
    numprocesses: 2
    ready: notify
`;
    const rm = startRingmaster(['-c', t.write('roll.yaml', cfg)]);
    try {
      await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= 2);
      const url = `http://127.0.0.1:${portFromLog(rm.stderr(), 'web')}/`;
      const init = await rm.initPid();
      const before = childPids(init);
      const load = autocannon({
        url,
        connections: 10,
        duration: 5,
        headers: mode === 'keep-alive' ? {} : { connection: 'close' },
      });
      await new Promise((r) => setTimeout(r, 700));
      const roll = await ctl(rm, ['restart', 'web', '--rolling']);
      assert.equal(roll.code, 0, roll.stderr + roll.stdout);
      const result = await load;
      const after = childPids(init);
      assert.equal(after.length, 2);
      assert.ok(after.every((p) => !before.includes(p)), 'not every worker was replaced');
      assert.ok(result.requests.total > 100, `only ${result.requests.total} requests`);
      assert.equal(result.errors, 0, `errors: ${result.errors}`);
      assert.equal(result.timeouts, 0, `timeouts: ${result.timeouts}`);
      assert.equal(result.non2xx, 0, `non-2xx: ${result.non2xx}`);
      assert.equal(result.resets, 0, `resets: ${result.resets}`);
      process.kill(init, 'SIGTERM');
      assert.equal((await rm.exit()).code, 0);
    } finally {
      await rm.close();
      t.cleanup();
    }
  });
}
