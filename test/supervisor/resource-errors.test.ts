/**
 * A spawn that fails for want of a resource (here EMFILE: the init's fds used up by
 * connections to its HTTP port) is the system's shortage, not the command's failure: it is
 * retried with backoff, never makes the watcher FATAL, and the watcher gets back to its
 * count once the shortage is over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { BIN, childPids, sleep, startProcess } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { get } from '../helpers/http.js';
import { RESOURCE_RETRY_MIN, isResourceError, resourceRetryDelay } from '../../src/supervisor/backoff.js';
import { Shortage } from '../../src/supervisor/shortage.js';

test('resource errors: which codes, and the retry delay: backoff_initial, growing to backoff_max, never below the floor', () => {
  for (const code of ['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']) assert.ok(isResourceError(code), code);
  for (const code of ['ENOENT', 'EACCES', 'ENOTDIR', 'E2BIG']) assert.ok(!isResourceError(code), code);
  const p = { initial: 0.2, multiplier: 2, max: 1, jitter: 0 };
  assert.deepEqual([1, 2, 3, 4, 10].map((n) => resourceRetryDelay(n, p)), [0.2, 0.4, 0.8, 1, 1]);
  assert.equal(resourceRetryDelay(1, { ...p, initial: 0 }), RESOURCE_RETRY_MIN);
});

test('shortage: an episode begins with the first failure and ends when the last retried wid is done', () => {
  const s = new Shortage();
  assert.deepEqual(s.fail(1, 'EMFILE', 1000), { tries: 1, began: true });
  assert.deepEqual(s.fail(2, 'EMFILE', 1100), { tries: 1, began: false });
  assert.deepEqual(s.fail(1, 'ENFILE', 1200), { tries: 2, began: false });
  assert.deepEqual(s.status, { error: 'ENFILE', since: 1000, tries: 3 });
  assert.equal(s.done(3), undefined, 'a wid that was never retried');
  assert.equal(s.done(1), undefined, 'wid 2 is still retried');
  assert.deepEqual(s.done(2), { error: 'ENFILE', since: 1000, tries: 3 });
  assert.equal(s.status, undefined);
  assert.equal(s.total, 3);
  s.fail(1, 'EAGAIN', 2000);
  s.clear();
  assert.equal(s.status, undefined);
  assert.deepEqual(s.fail(1, 'EAGAIN', 3000), { tries: 1, began: true }, 'clear() forgets the tries in a row');
});

const LIMIT = 40;

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Keeps `n` connections open to `port`, opening a new one whenever the server closes one. */
function crowd(port: number, n: number): { release(): void } {
  const sockets = new Set<Socket>();
  let holding = true;
  const openOne = (): void => {
    if (!holding) return;
    const s = connect(port, '127.0.0.1');
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => {
      sockets.delete(s);
      setTimeout(openOne, 5);
    });
  };
  for (let i = 0; i < n; i++) openOne();
  return {
    release() {
      holding = false;
      for (const s of sockets) s.destroy();
    },
  };
}

test('out of fds (connections held to http_port): a SIGKILLed worker is retried, the watcher is not FATAL, and it is back to 2 workers once they close', async () => {
  const t = tempDir();
  const cfg = t.write('r.yaml', `ringmaster:
  http_host: 127.0.0.1
  http_port: 0
watchers:
  w:
    cmd: sleep 600
    numprocesses: 2
    max_retry: 2
    backoff_initial: 0.05
    backoff_max: 0.2
`);
  // sh is the namespace's PID 1 only until it execs ringmaster with the lower limit.
  const rm = startProcess(['sh', '-c', `ulimit -n ${LIMIT} && exec "$0" "$1" -c "$2"`, process.execPath, BIN, cfg]);
  let clients: { release(): void } | undefined;
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    const port = Number(/http endpoint listening url=http:\/\/127\.0\.0\.1:(\d+)/.exec(rm.stderr())?.[1]);
    const init = await rm.initPidNow();
    clients = crowd(port, LIMIT);
    for (let i = 0; i < 500 && openFds(init) < LIMIT - 1; i++) await sleep(10);
    assert.ok(openFds(init) >= LIMIT - 1, `the init's fds were not used up: ${openFds(init)} of ${LIMIT}`);

    const [victim] = childPids(init);
    process.kill(victim as number, 'SIGKILL');
    await rm.waitStderr((s) => /worker could not be started: .*EMFILE.*retrying with backoff/.test(s));
    // Well over max_retry tries at backoff_max 0.2 s.
    await sleep(1_500);
    assert.doesNotMatch(rm.stderr(), /watcher is FATAL/);
    assert.equal(rm.stderr().match(/worker could not be started/g)?.length, 1, 'logged once for the episode, not per try');

    clients.release();
    await rm.waitStderr((s) => /workers start again after resource errors watcher=w error=EMFILE tries=\d+/.test(s));
    const st = await ctl(rm, ['status', '--json']);
    assert.equal(st.code, 0, st.stderr);
    const w = (JSON.parse(st.stdout) as { watchers: Array<{ phase: string; running: number; resourceRetries: number }> }).watchers[0];
    assert.equal(w?.phase, 'running');
    assert.equal(w?.running, 2);
    const tries = Number(/tries=(\d+)/.exec(rm.stderr())?.[1]);
    assert.ok(tries > 2, `only ${tries} tries`);
    assert.equal(w?.resourceRetries, tries);
    const metrics = (await get(`http://127.0.0.1:${port}/metrics`)).body;
    assert.match(metrics, new RegExp(`^ringmaster_watcher_resource_retries_total\\{watcher="w"\\} ${tries}$`, 'm'));
    assert.equal((await get(`http://127.0.0.1:${port}/livez`)).status, 200);
    process.kill(init, 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    clients?.release();
    await rm.close();
    t.cleanup();
  }
});
