/** The bundled examples that need nothing beyond Node run as they are. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster } from './helpers/run.js';
import { get, portFromLog } from './helpers/http.js';

for (const [file, socket, n] of [
  ['examples/hello/ringmaster.yaml', 'web', 2],
  ['examples/circus/circus.ini', 'webapp', 3],
] as const) {
  test(`${file} serves from ${n} workers on one socket`, async () => {
    // PORT=0: a free port instead of 8080 (both read ${PORT:-8080})
    const rm = startRingmaster(['-c', file], { env: { ...process.env, PORT: '0' } });
    try {
      await rm.waitStdout((s) => (s.match(/accepting on inherited fd 3/g) ?? []).length >= n);
      const r = await get(`http://127.0.0.1:${portFromLog(rm.stderr(), socket)}/`);
      assert.match(r.body, /^hello from worker \d/);
      process.kill(await rm.initPid(), 'SIGTERM');
      assert.equal((await rm.exit()).code, 0, rm.stderr());
    } finally {
      await rm.close();
    }
  });
}
