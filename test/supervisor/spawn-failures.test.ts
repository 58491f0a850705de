/**
 * Workers that cannot be started at all must never take the init down: each failure is
 * a failed spawn, counted, retried with backoff, and FATAL after max_retry, while the
 * other watchers keep running. A shortage (EMFILE...) is retried without end instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { BIN, startProcess, startRingmaster, sleep } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';

interface Snap {
  watchers: Array<{ name: string; phase: string; running: number; workers: Array<{ state: string }> }>;
}

test('a working_dir that is a file (spawn throws ENOTDIR): that watcher goes FATAL, the init and the other watcher run on', async () => {
  const t = tempDir();
  const cfg = `watchers:
  good:
    cmd: sleep 60
    priority: 10
  bad:
    cmd: sleep 60
    working_dir: /etc/passwd
    numprocesses: 2
    max_retry: 2
    backoff_initial: 0.05
    backoff_max: 0.1
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  try {
    await rm.waitStderr((s) => s.includes('watcher is FATAL') && s.includes('all watchers started'));
    assert.match(rm.stderr(), /worker could not be started: .*ENOTDIR.* watcher=bad/);
    const st = await ctl(rm, ['status', '--json']);
    assert.equal(st.code, 0, st.stderr);
    const snap = JSON.parse(st.stdout) as Snap;
    const by = (n: string) => snap.watchers.find((w) => w.name === n);
    assert.equal(by('good')?.running, 1);
    assert.equal(by('bad')?.phase, 'fatal');
    assert.deepEqual(by('bad')?.workers, [], 'a failed worker keeps no slot');
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('scaling up a watcher whose workers cannot start: the new slots fail and retry, and recover once they can start', async () => {
  const t = tempDir();
  const wd = `${t.dir}/wd`;
  mkdirSync(wd);
  const cfg = `watchers:
  w:
    cmd: sleep 60
    working_dir: ${wd}
    max_retry: -1
    backoff_initial: 0.05
    backoff_max: 0.1
`;
  const rm = startRingmaster(['-c', t.write('r.yaml', cfg)]);
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    // The directory becomes a file: every new worker now fails in spawn itself (ENOTDIR).
    rmSync(wd, { recursive: true });
    writeFileSync(wd, 'not a directory');
    assert.equal((await ctl(rm, ['scale', 'w', '3'])).code, 0);
    await rm.waitStderr((s) => (s.match(/worker could not be started/g) ?? []).length >= 6);
    let w = (JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as Snap).watchers[0];
    assert.equal(w?.phase, 'running');
    assert.equal(w?.running, 1, 'the first worker still runs');
    // A directory again: the retried slots come up.
    rmSync(wd);
    mkdirSync(wd);
    for (let i = 0; i < 100 && w?.running !== 3; i++) {
      await sleep(50);
      w = (JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as Snap).watchers[0];
    }
    assert.equal(w?.running, 3, 'the failed slots were not retried');
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('out of file descriptors (ulimit -n 50, 60 workers with notify sockets): the spawns that fail are retried, not FATAL, logged once, and the init stays up', async () => {
  const t = tempDir();
  const cfg = t.write('r.yaml', `watchers:
  w:
    cmd: sleep 60
    numprocesses: 60
    ready: notify
    max_retry: 2
    backoff_initial: 0.05
`);
  // sh is the namespace's PID 1 only until it execs ringmaster with the lower limit.
  const rm = startProcess(['sh', '-c', 'ulimit -n 50 && exec "$0" "$1" -c "$2"', process.execPath, BIN, cfg]);
  try {
    // 60 spawns before the first that fails: slow on a busy machine.
    await rm.waitStderr((s) => /worker could not be started: .*EMFILE.*retrying with backoff/.test(s), 30_000);
    await sleep(500);
    assert.doesNotMatch(rm.stderr(), /watcher is FATAL/);
    assert.equal(rm.stderr().match(/worker could not be started/g)?.length, 1, 'one line for the shortage, not one per try');
    assert.doesNotMatch(rm.stderr(), /internal error/);
    assert.equal(rm.proc.exitCode, null, 'the init exited');
    process.kill(await rm.initPidNow(), 'SIGTERM');
    const r = await rm.exit();
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${rm.stderr()}`);
    assert.match(rm.stderr(), /stopped exit_code=/);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('command mode: a path through a file is 126 with one line, not an internal error', async () => {
  const rm = startRingmaster(['--', '/etc/passwd/x']);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 126, rm.stderr());
    assert.match(rm.stderr(), /cannot execute: \/etc\/passwd\/x code=RM_SPAWN errno=ENOTDIR/);
    assert.doesNotMatch(rm.stderr(), /internal error/);
  } finally {
    await rm.close();
  }
});
