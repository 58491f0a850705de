/** The bundled examples that need nothing beyond Node run as they are. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { ROOT, startRingmaster } from './helpers/run.js';
import { get, portFromLog } from './helpers/http.js';
import { tempDir } from './helpers/config.js';
import { ctl } from './helpers/ctl.js';

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

test('the README\'s worker snippets are the examples the interop tests run: every cmd and option line is in examples/workers/', () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Workers'), readme.indexOf('### Readiness and the watchdog'));
  const examples = readdirSync(`${ROOT}examples/workers`)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readFileSync(`${ROOT}examples/workers/${f}`, 'utf8'));
  const lines = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .flatMap((m) => (m[1] as string).split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => /^(cmd|listen_pid|stop_signal):/.test(l));
  assert.ok(lines.length >= 8, `only ${lines.length} snippet lines found`);
  for (const l of lines) assert.ok(examples.some((e) => e.split('\n').some((x) => x.trim() === l)), `README line not in any example: ${l}`);
});

test('examples/app: the migration gates the web workers, the queue completes, the cleanup runs on its schedule, the flush runs at shutdown', async () => {
  const state = tempDir();
  // every second instead of every 5 minutes; PORT=0: a free port
  const env = { ...process.env, PORT: '0', STATE_DIR: state.dir, CLEANUP_SCHEDULE: '* * * * * *' };
  const rm = startRingmaster(['-c', 'examples/app/ringmaster.yaml'], { env });
  try {
    await rm.waitStdout((s) => (s.match(/accepting on inherited fd 3/g) ?? []).length >= 2);
    const r = await get(`http://127.0.0.1:${portFromLog(rm.stderr(), 'web')}/`);
    assert.match(r.body, /^hello from the example app, schema 3, worker \d/);
    await rm.waitStderr((s) => /worker completed watcher=queue/.test(s));
    assert.equal(readFileSync(`${state.dir}/queue.log`, 'utf8'), 'job 1\njob 2\njob 3\n');
    await rm.waitStderr((s) => /task succeeded task=cleanup/.test(s), 5_000);
    // ctl status shows when the cleanup runs next
    const st = await ctl(rm, ['status', '--json']);
    const cleanup = (JSON.parse(st.stdout) as { tasks: Array<{ name: string; nextRunAt?: number }> }).tasks.find((t) => t.name === 'cleanup');
    assert.ok(cleanup?.nextRunAt !== undefined && cleanup.nextRunAt > Date.now() - 1000, st.stdout);
    assert.match((await ctl(rm, ['status'])).stdout, /next run: \d{4}-\d\d-\d\dT/);
    // the migration ran once, before any web worker
    const err = rm.stderr();
    assert.ok(err.indexOf('task succeeded task=migrate') < err.indexOf('worker started watcher=web'), err);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
    assert.ok(existsSync(`${state.dir}/flushed`), rm.stderr());
  } finally {
    await rm.close();
    state.cleanup();
  }
});
