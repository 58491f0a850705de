import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ctl, CTL_USAGE, type CtlIo } from '../../src/cli/ctl.js';
import { NOW, startHarness, tempSocketDir, type Harness } from './fake.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  let out = '';
  let err = '';
  const io: CtlIo = { out: (t) => (out += t), err: (t) => (err += t), now: () => NOW };
  const code = await ctl(argv, env, io);
  return { code, out, err };
}

/** ctl against the harness, found the way a user's ctl finds it: through the environment. */
function against(h: Harness) {
  return (...argv: string[]) => run(argv, { RINGMASTER_CONTROL_SOCKET: h.path });
}

test('ctl status: a table of watchers, workers, sockets and reloads', async () => {
  const h = await startHarness();
  try {
    const r = await against(h)('status');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.split('\n');
    assert.equal(lines[0], 'ringmaster 0.1.0, pid 4242, running, up 1h02m');
    assert.equal(lines[1], 'config: /etc/ringmaster.yaml');
    assert.match(r.out, /^WATCHER +PHASE +RUNNING +READY +RESTARTS +LAST EXIT$/m);
    assert.match(r.out, /^web +running +2\/2 +1\/2 +3 +wid 2 exited 1, 1m05s ago$/m);
    assert.match(r.out, /^worker +fatal +0\/1 +0\/1 +6 +wid 1 killed by SIGKILL, 10s ago$/m);
    assert.match(r.out, /^ {2}fatal: exited 6 times in a row within backoff_reset$/m);
    assert.match(r.out, /^ {2}rollout failed: wid 3 not ready after 30s; old workers kept \(5s ago\)$/m);
    assert.match(r.out, /^ {2}WID +PID +STATE +UPTIME +READY +STATUS$/m);
    assert.match(r.out, /^ {2}1 +1001 +running +1h00m +yes +serving on :8080$/m);
    // a worker's STATUS= cannot put escape sequences on the operator's terminal
    assert.match(r.out, /^ {2}2 +1002 +running +1m05s +timed out +warming \?\[31mcache$/m);
    assert.match(r.out, /^web +tcp:\/\/0\.0\.0\.0:8080$/m);
    assert.match(r.out, /^reloads: 1 ok, 1 failed; config in force since 2m00s ago$/m);
    assert.match(r.out, /^ {2}last reload failed: watchers\.web\.numprocesses must be an integer >= 0, got "two"$/m);
  } finally {
    await h.close();
  }
});

test('ctl status --json prints the snapshot', async () => {
  const h = await startHarness();
  try {
    const r = await against(h)('status', '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as { pid: number; watchers: Array<{ name: string; workers: unknown[] }> };
    assert.equal(s.pid, 4242);
    assert.deepEqual(s.watchers.map((w) => w.name), ['web', 'worker']);
    assert.equal(s.watchers[0]?.workers.length, 2);
  } finally {
    await h.close();
  }
});

test('ctl: every command round-trips to the controller', async () => {
  const h = await startHarness();
  const c = against(h);
  try {
    const expect: Array<[string[], string, unknown[]]> = [
      [['start', 'web'], 'web: started\n', ['start', 'web']],
      [['stop', 'Web'], 'Web: stopped\n', ['stop', 'web']],
      [['restart', 'web'], 'web: restarted\n', ['restart', 'web', { rolling: false }]],
      [['restart', 'web', '--rolling'], 'web: restarted (rolling)\n', ['restart', 'web', { rolling: true }]],
      [['restart', '--max-surge', '3', 'web'], 'web: restarted (rolling)\n', ['restart', 'web', { rolling: true, maxSurge: 3 }]],
      [['scale', 'web', '4'], 'web: 4 processes desired\n', ['scale', 'web', 4]],
      [['incr', 'web'], 'web: 5 processes desired\n', ['incr', 'web', 1]],
      [['decr', 'web', '4'], 'web: 1 process desired\n', ['incr', 'web', -4]],
      [['signal', 'web', 'TERM'], 'web: sent SIGTERM to 2 processes\n', ['signal', 'web', 'SIGTERM']],
      [['signal', 'web', 'SIGUSR1'], 'web: sent SIGUSR1 to 2 processes\n', ['signal', 'web', 'SIGUSR1']],
      [['signal', 'web', '1'], 'web: sent SIGHUP to 2 processes\n', ['signal', 'web', 'SIGHUP']],
      [['reload'], 'reloaded: 1 watcher changed (web, rolled), 0 added, 0 removed\n', ['reload']],
      [['--json', 'scale', 'web', '2'], '2\n', ['scale', 'web', 2]],
    ];
    for (const [argv, out, call] of expect) {
      const r = await c(...argv);
      assert.deepEqual(r, { code: 0, out, err: '' }, argv.join(' '));
      assert.deepEqual(h.controller.calls.at(-1), call, argv.join(' '));
    }
    const q = await c('quit');
    assert.deepEqual(q, { code: 0, out: 'ringmaster is shutting down\n', err: '' });
    while (h.controller.calls.at(-1)?.[0] !== 'quit') await new Promise((r) => setImmediate(r));
  } finally {
    await h.close();
  }
});

test('ctl: a refused request exits 1 with the message and its code', async () => {
  const h = await startHarness();
  try {
    const r = await against(h)('stop', 'wbe');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(r.err, 'ringmaster ctl: unknown watcher "wbe": the watchers are web, worker (RM_CTL_UNKNOWN_WATCHER)\n');
    const j = await against(h)('--json', 'scale', 'nope', '1');
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.out), { ok: false, code: 'RM_CTL_UNKNOWN_WATCHER', error: 'unknown watcher "nope": the watchers are web, worker' });
  } finally {
    await h.close();
  }
});

test('ctl: usage errors exit 64 before anything is sent', async () => {
  const h = await startHarness();
  const c = against(h);
  try {
    const cases: Array<[string[], RegExp]> = [
      [[], /no command given/],
      [['stauts'], /unknown command "stauts" \(did you mean "status"\?\): the commands are status, start, stop/],
      [['scale', 'web'], /scale takes WATCHER N, got "web"/],
      [['scale', 'web', 'two'], /scale: the number of processes must be an integer from 0 to 10000, got "two"/],
      [['scale', 'web', '-1'], /unknown option|got "-1"/],
      [['decr', 'web', '0'], /decr: the step must be an integer from 1 to 10000, got 0/],
      [['signal', 'web', 'FOO'], /"FOO" names no signal; give a name or number like TERM, SIGHUP, 15/],
      [['status', 'web'], /status takes no arguments, got "web"/],
      [['scale', 'web', '2', '--rolling'], /--rolling applies to restart, not scale/],
      [['restart', 'web', '--max-surge', '0'], /restart: maxSurge must be an integer from 1 to 10000, got 0/],
      [['--jsno', 'status'], /unknown option --jsno \(did you mean --json\?\)/],
      [['status', '--timeout', 'soon'], /--timeout takes a number of seconds >= 0, got "soon"/],
      [['status', '--socket'], /--socket needs a value/],
    ];
    for (const [argv, message] of cases) {
      const r = await c(...argv);
      assert.equal(r.code, 64, argv.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, message, argv.join(' '));
      assert.match(r.err, /\(see ringmaster ctl --help\)\n$/);
    }
    assert.deepEqual(h.controller.calls, []);
  } finally {
    await h.close();
  }
});

test('ctl --help prints the usage and exits 0', async () => {
  for (const flag of ['--help', '-h']) {
    const r = await run([flag], {});
    assert.deepEqual(r, { code: 0, out: CTL_USAGE, err: '' });
  }
  assert.match(CTL_USAGE, /^Usage: ringmaster ctl \[--socket PATH\] \[--json\] \[--timeout SEC\] COMMAND \[ARGS\]/);
});

test('ctl: an unreachable socket exits 69, says where it looked and how to point elsewhere', async () => {
  const t = tempSocketDir();
  try {
    const path = join(t.dir, 'none.sock');
    const r = await run(['status'], { RINGMASTER_CONTROL_SOCKET: path });
    assert.equal(r.code, 69);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      `ringmaster ctl: cannot reach the control socket ${path} (from RINGMASTER_CONTROL_SOCKET): no such socket (is ringmaster running, with a config, as this user?). ` +
        'Point ctl at the init\'s socket with --socket PATH or RINGMASTER_CONTROL_SOCKET=PATH.\n',
    );
    const viaFlag = await run(['--socket', path, 'reload'], {});
    assert.equal(viaFlag.code, 69);
    assert.match(viaFlag.err, /\(from --socket\)/);
  } finally {
    t.cleanup();
  }
});

test('ctl: --socket wins over the environment', async () => {
  const h = await startHarness();
  try {
    const r = await run(['--socket', h.path, 'scale', 'web', '3'], { RINGMASTER_CONTROL_SOCKET: '/nonexistent/ctl.sock' });
    assert.deepEqual(r, { code: 0, out: 'web: 3 processes desired\n', err: '' });
  } finally {
    await h.close();
  }
});
