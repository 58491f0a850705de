/**
 * Watcher options at run time: autostart, singleton, rlimits; and every substitution form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRingmaster } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { ctl } from '../helpers/ctl.js';
import { substitute } from '../../src/supervisor/substitute.js';
import { buildWorkerSpec, rlimitPlan } from '../../src/supervisor/worker-spec.js';
import type { SocketSet } from '../../src/supervisor/socket-set.js';
import type { WatcherConfig } from '../../src/config/types.js';
import { bindAndListen } from '../../src/sys/socket.js';
import { fstatSync } from 'node:fs';
import { yaml } from '../config/helpers.js';
import { RLIMITS, hardRlimit } from '../../src/sys/libc.js';

test('substitution: $(circus.X), ((circus.X)), {SOCKET:X}, ringmaster. prefix, env and options, unknown keys kept', () => {
  const ctx = { wid: 3, sockets: new Map([['web', 3], ['admin', 4]]), env: { HOME: '/home/app' }, options: { numprocesses: 4, name: 'api' } };
  assert.equal(substitute('--fd $(circus.sockets.web)', ctx), '--fd 3');
  assert.equal(substitute('--fd ((circus.sockets.admin))', ctx), '--fd 4');
  assert.equal(substitute('fd://{SOCKET:web}', ctx), 'fd://3');
  assert.equal(substitute('$(ringmaster.wid)/$(circus.numprocesses) $(CIRCUS.ENV.home)', ctx), '3/4 /home/app');
  assert.equal(substitute('$(circus.sockets.nope) {SOCKET:nope} $(circus.what)', ctx), '$(circus.sockets.nope) {SOCKET:nope} $(circus.what)');
});

test('autostart off waits for ctl start; singleton caps scaling at 1; rlimits reach the worker', async () => {
  const t = tempDir();
  const rm = startRingmaster([
    '-c',
    t.write(
      'w.yaml',
      `watchers:
  lazy:
    cmd: sleep 60
    autostart: false
  one:
    cmd: sleep 60
    singleton: true
  limited:
    cmd: sh -c "grep -E 'open files|core file' /proc/$$/limits; exec sleep 60"
    rlimit_nofile: 1234
    rlimit_core: 0
`,
    ),
  ]);
  try {
    await rm.waitStderr((s) => s.includes('all watchers started'));
    type Snap = { watchers: Array<{ name: string; phase: string; running: number; desired: number }> };
    const status = async (): Promise<Snap['watchers']> => (JSON.parse((await ctl(rm, ['status', '--json'])).stdout) as Snap).watchers;
    const by = async (n: string) => (await status()).find((w) => w.name === n);
    assert.equal((await by('lazy'))?.running, 0);
    assert.equal((await by('lazy'))?.phase, 'stopped');
    assert.equal((await ctl(rm, ['start', 'lazy'])).code, 0);
    assert.equal((await by('lazy'))?.running, 1);
    assert.equal((await ctl(rm, ['scale', 'one', '3'])).code, 0);
    assert.equal((await by('one'))?.desired, 1);
    assert.equal((await by('one'))?.running, 1);
    const out = await rm.waitStdout((s) => s.includes('Max core file size') && s.includes('Max open files'));
    assert.match(out, /Max open files\s+1234\s+1234/);
    assert.match(out, /Max core file size\s+0\s+0/);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm.close();
    t.cleanup();
  }
});

test('rlimits go through prlimit before exec up to our own hard limit; one above it (which prlimit could fail to set, root or not) is left to the init after the spawn', () => {
  assert.deepEqual(rlimitPlan({ nofile: 1234, core: 0 }), { shim: ['--nofile=1234:1234', '--core=0:0'], after: [] });
  // Our hard NOFILE limit is finite on Linux (at most fs.nr_open).
  const hard = Number(hardRlimit(0, RLIMITS.nofile as number));
  const plan = rlimitPlan({ core: 0, nofile: hard + 1 });
  assert.deepEqual(plan.shim, ['--core=0:0']);
  assert.deepEqual(plan.after, [['nofile', RLIMITS.nofile, hard + 1]]);
  // unlimited is in reach only where our own hard limit is unlimited too
  const nprocUnlimited = hardRlimit(0, RLIMITS.nproc as number) === null;
  assert.deepEqual(rlimitPlan({ nproc: null }), nprocUnlimited ? { shim: ['--nproc=unlimited'], after: [] } : { shim: [], after: [['nproc', RLIMITS.nproc, null]] });
});

test('a worker whose preparation fails half-way gives back its own SO_REUSEPORT socket', () => {
  const w = yaml('sockets:\n  a: {port: 0, so_reuseport: true}\n  b: {port: 0}\nwatchers:\n  w:\n    cmd: sleep 60\n    sockets: [a, b]\n').watchers[0] as WatcherConfig;
  const fd = bindAndListen({ family: 'inet', address: '127.0.0.1', port: 0 }, { reusePort: true });
  const sockets = {
    fdForWorker(name: string) {
      if (name === 'a') return { fd, own: true };
      throw new Error('EMFILE: too many open files');
    },
  } as unknown as SocketSet;
  assert.throws(() => buildWorkerSpec(w, 1, { sockets, baseEnv: {}, cwd: '/', ids: { uid: undefined, gid: undefined, user: undefined } }), /EMFILE/);
  assert.throws(() => fstatSync(fd), /EBADF/, 'the per-worker socket was left open');
});
