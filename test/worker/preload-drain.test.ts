/**
 * The preload stops gracefully: for an app with no stop handler, one that calls
 * process.exit() on SIGTERM (http-server's shape) and one with its own graceful handler,
 * a rolling restart under load (autocannon: 10 connections on loopback, keep-alive and
 * `Connection: close`, stopped once the restart is over) fails no request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { startRingmaster, FIXTURES, childPids, type Started } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { portFromLog } from '../helpers/http.js';
import { appHandlers, drainOptions } from '../../src/worker/stop-handler.js';

test('drain options: on unless RINGMASTER_PRELOAD_DRAIN says 0/off/false/no; a bad grace is said and replaced', () => {
  const warned: string[] = [];
  const warn = (m: string): boolean => warned.push(m) > 0;
  assert.deepEqual(drainOptions({}, warn), { on: true, graceMs: 10_000 });
  for (const off of ['0', 'off', 'OFF', 'false', 'no', ' 0 ']) assert.equal(drainOptions({ RINGMASTER_PRELOAD_DRAIN: off }, warn).on, false, off);
  for (const on of ['1', 'on', 'yes', '', 'drain']) assert.equal(drainOptions({ RINGMASTER_PRELOAD_DRAIN: on }, warn).on, true, on);
  assert.equal(drainOptions({ RINGMASTER_PRELOAD_GRACE: '2.5' }, warn).graceMs, 2_500);
  assert.equal(drainOptions({ RINGMASTER_PRELOAD_GRACE: '0' }, warn).graceMs, 0);
  assert.equal(warned.length, 0);
  for (const bad of ['-1', 'ten', 'Infinity', '1e9', 'x'.repeat(10_000)]) {
    assert.equal(drainOptions({ RINGMASTER_PRELOAD_GRACE: bad }, warn).graceMs, 10_000, bad.slice(0, 20));
  }
  assert.equal(warned.length, 5);
  assert.match(warned[0] ?? '', /^ringmaster preload: RINGMASTER_PRELOAD_GRACE must be seconds between 0 and 86400, got "-1"; using 10\n$/);
  assert.ok((warned[4] ?? '').length < 200);
});

test("the app's own handlers: listeners of the signal, less signal-exit's", () => {
  const proc = new EventEmitter() as unknown as NodeJS.Process;
  assert.equal(appHandlers('SIGTERM', proc), 0);
  proc.on('SIGTERM', () => {});
  assert.equal(appHandlers('SIGTERM', proc), 1);
  (proc as unknown as Record<string, unknown>).__signal_exit_emitter__ = { count: 1 };
  assert.equal(appHandlers('SIGTERM', proc), 0);
  proc.on('SIGTERM', () => {});
  assert.equal(appHandlers('SIGTERM', proc), 1);
  assert.equal(appHandlers('SIGINT', proc), 0);
});

async function pool(app: string, env: Record<string, string> = {}): Promise<{ rm: Started; url: string; cleanup(): void }> {
  const t = tempDir();
  const cfg = `sockets:
  web: {host: 127.0.0.1, port: 0}
watchers:
  web:
    cmd: node --import $(ringmaster.preload) ${FIXTURES}apps/${app}
    use_sockets: true
    numprocesses: 2
    ready: notify
    env: ${JSON.stringify(env)}
`;
  const rm = startRingmaster(['-c', t.write('drain.yaml', cfg)]);
  await rm.waitStderr((s) => (s.match(/worker ready/g) ?? []).length >= 2);
  return { rm, url: `http://127.0.0.1:${portFromLog(rm.stderr(), 'web')}/`, cleanup: () => t.cleanup() };
}

/** Load `url` until `during` is over and `more` responses came after it; the result, and the errors' messages. */
async function underLoad(url: string, keepAlive: boolean, during: () => Promise<void>) {
  let responses = 0;
  const errors: string[] = [];
  let inst: ReturnType<typeof autocannon> | undefined;
  const result = new Promise<Parameters<Parameters<typeof autocannon>[1]>[1]>((resolve, reject) => {
    inst = autocannon({ url, connections: 10, duration: 120, headers: keepAlive ? {} : { connection: 'close' } }, (err, r) => (err ? reject(err) : resolve(r)));
  });
  const running = inst as unknown as { stop(): void; on(e: string, f: (...a: never[]) => void): unknown };
  running.on('response', () => void responses++);
  running.on('reqError', (e: Error) => void errors.push(e.message));
  const atLeast = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setInterval(() => responses >= n && (clearInterval(t), resolve()), 20);
    });
  try {
    await atLeast(200);
    await during();
    await atLeast(responses + 200);
  } finally {
    running.stop();
  }
  return { result: await result, errors };
}

const SHAPES = [
  ['no stop handler (Express, json-server)', 'listen-no-handler.mjs'],
  ['process.exit() on SIGTERM (http-server)', 'listen-exit-on-sigterm.mjs'],
  ['its own graceful handler', 'listen-graceful.mjs'],
] as const;

for (const [shape, app] of SHAPES) {
  for (const keepAlive of [true, false]) {
    test(`preload, ${shape}, ${keepAlive ? 'keep-alive' : 'Connection: close'}: a rolling restart under load fails no request`, async () => {
      const { rm, url, cleanup } = await pool(app);
      try {
        const init = await rm.initPid();
        const before = childPids(init);
        const { result, errors } = await underLoad(url, keepAlive, async () => {
          const roll = await ctl(rm, ['restart', 'web', '--rolling']);
          assert.equal(roll.code, 0, roll.stderr + roll.stdout);
        });
        const after = childPids(init);
        assert.equal(after.length, 2);
        assert.ok(after.every((p) => !before.includes(p)), 'not every worker was replaced');
        const failed = { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets };
        assert.deepEqual(failed, { errors: 0, timeouts: 0, non2xx: 0, resets: 0 }, `of ${result.requests.total}: ${[...new Set(errors)].join(', ')}`);
        // the old workers ended as their shape does, with 0 (the drain's, or the app's own exit)
        assert.equal(rm.stderr().match(/worker stopped watcher=web wid=\d pid=\d+ code=0\n/g)?.length, 2, rm.stderr());
        if (app === 'listen-graceful.mjs') assert.equal(rm.stdout().match(/own handler: closed/g)?.length, 2, 'the app ran its own handler');
        if (app === 'listen-exit-on-sigterm.mjs') assert.equal(rm.stdout().match(/http-server stopped/g)?.length, 2, 'the app ran its own handler');
        process.kill(init, 'SIGTERM');
        assert.equal((await rm.exit()).code, 0, rm.stderr());
      } finally {
        await rm.close();
        cleanup();
      }
    });
  }
}

test('RINGMASTER_PRELOAD_DRAIN=0: the app gets Node\'s default, SIGTERM ends it', async () => {
  const { rm, cleanup } = await pool('listen-no-handler.mjs', { RINGMASTER_PRELOAD_DRAIN: '0' });
  try {
    const stop = await ctl(rm, ['stop', 'web']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(rm.stderr().match(/worker stopped watcher=web wid=\d pid=\d+ signal=SIGTERM/g)?.length, 2, rm.stderr());
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    cleanup();
  }
});
