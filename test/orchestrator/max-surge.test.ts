import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster, FIXTURES } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';

/** The log lines of a rolling restart, in order: which workers started and stopped. */
function events(stderr: string): string[] {
  const from = stderr.indexOf('rolling restart watcher=web');
  return [...stderr.slice(from).matchAll(/worker (started|stopped) watcher=web wid=(\d)/g)].map((m) => `${m[1]} ${m[2]}`);
}

for (const [surge, expected] of [
  [1, ['started 1', 'stopped 1', 'started 2', 'stopped 2', 'started 3', 'stopped 3']],
  [3, ['started 1', 'started 2', 'started 3', 'stopped 1', 'stopped 2', 'stopped 3']],
] as const) {
  test(`max_surge ${surge}: how many new workers start before old ones stop`, async () => {
    const t = tempDir();
    const cfg = `watchers:
  web:
    cmd: node ${FIXTURES}notify-worker.mjs
    numprocesses: 3
    ready: notify
    max_surge: ${surge}
    env:
      NOTIFY_DELAY_MS: "20"
`;
    const rm = startRingmaster(['-c', t.write('s.yaml', cfg)]);
    try {
      await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= 3);
      const r = await ctl(rm, ['restart', 'web', '--rolling']);
      assert.equal(r.code, 0, r.stderr);
      await rm.waitStderr((s) => s.includes('rolling restart done'));
      // stop order within a batch is not fixed: compare the sequence of kinds, and the sets
      const ev = events(rm.stderr());
      assert.deepEqual(ev.map((e) => e.split(' ')[0]), expected.map((e) => e.split(' ')[0]), ev.join(', '));
      assert.deepEqual([...ev].sort(), [...expected].sort());
      process.kill(await rm.initPid(), 'SIGTERM');
      assert.equal((await rm.exit()).code, 0);
    } finally {
      await rm.close();
      t.cleanup();
    }
  });
}
