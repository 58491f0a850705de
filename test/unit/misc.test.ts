import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeOf, stdioWithFds } from '../../src/lifecycle/command-init.js';
import { inheritedFds, socketActivationFds } from '../../src/lifecycle/fds.js';
import { createLogger, verbosityFromEnv } from '../../src/log/logger.js';
import { parseSignal } from '../../src/sys/signals.js';
import { forwardableSignals, selfProfiled } from '../../src/lifecycle/signal-policy.js';
import { decodeWaitStatus } from '../../src/sys/libc.js';

test('exit codes: code, 128+signal, 127/126, remap', () => {
  assert.equal(exitCodeOf({ kind: 'exited', code: 3 }), 3);
  assert.equal(exitCodeOf({ kind: 'signaled', signal: 'SIGKILL', number: 9 }), 137);
  assert.equal(exitCodeOf({ kind: 'spawn-failed', code: 'ENOENT', message: '' }), 127);
  assert.equal(exitCodeOf({ kind: 'spawn-failed', code: 'EACCES', message: '' }), 126);
  assert.equal(exitCodeOf({ kind: 'signaled', signal: 'SIGTERM', number: 15 }, new Set([143])), 0);
});

test('inherited fds: Node-internal ones (anon inodes, pipes with both ends) are not counted', () => {
  const fds = [
    { fd: 0, target: '/dev/null' },
    { fd: 3, target: 'anon_inode:[eventpoll]' },
    { fd: 4, target: 'pipe:[100]' },
    { fd: 5, target: 'pipe:[100]' },
    { fd: 6, target: 'socket:[7]' },
    { fd: 7, target: '/dev/null' },
    { fd: 8, target: 'pipe:[200]' },
  ];
  assert.deepEqual(inheritedFds(fds), [6, 7, 8]);
});

test('socket activation fds follow LISTEN_FDS and LISTEN_PID', () => {
  assert.deepEqual(socketActivationFds({ LISTEN_FDS: '2', LISTEN_PID: '42' }, 42), [3, 4]);
  assert.deepEqual(socketActivationFds({ LISTEN_FDS: '2', LISTEN_PID: '41' }, 42), []);
  assert.deepEqual(socketActivationFds({ LISTEN_FDS: 'x' }, 42), []);
  assert.deepEqual(socketActivationFds({}, 42), []);
});

test('stdio array places fds at their own numbers', () => {
  assert.deepEqual(stdioWithFds([[3, 3], [5, 5]]), ['inherit', 'inherit', 'inherit', 3, 'ignore', 5]);
  assert.deepEqual(stdioWithFds([[3, 17]]), ['inherit', 'inherit', 'inherit', 17]);
});

test('logger: text and JSON lines, verbosity filter', () => {
  const lines: string[] = [];
  const text = createLogger({ verbosity: 1, write: (l) => lines.push(l) });
  text.info('hidden');
  text.warn('shown', { pid: 3, what: 'a b' });
  assert.deepEqual(lines, ['ringmaster warn: shown pid=3 what="a b"\n']);
  lines.length = 0;
  const json = createLogger({ verbosity: 4, format: 'json', write: (l) => lines.push(l), now: () => 0 });
  json.trace('t', { k: 'v' });
  assert.deepEqual(JSON.parse(lines[0] as string), { time: '1970-01-01T00:00:00.000Z', level: 'trace', msg: 't', k: 'v' });
  assert.equal(verbosityFromEnv('debug'), 3);
  assert.equal(verbosityFromEnv('9'), 4);
  assert.equal(verbosityFromEnv('nonsense'), undefined);
});

test('signals: parse names and numbers; the forwarded set', () => {
  assert.deepEqual(parseSignal('term'), { name: 'SIGTERM', number: 15 });
  assert.deepEqual(parseSignal('SIGHUP'), { name: 'SIGHUP', number: 1 });
  assert.deepEqual(parseSignal('9'), { name: 'SIGKILL', number: 9 });
  assert.equal(parseSignal('nope'), undefined);
  const f = forwardableSignals();
  for (const s of ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGWINCH', 'SIGTSTP', 'SIGCONT']) assert.ok(f.includes(s as NodeJS.Signals), s);
  for (const s of ['SIGKILL', 'SIGSTOP', 'SIGCHLD', 'SIGSEGV']) assert.ok(!f.includes(s as NodeJS.Signals), s);
  // SIGPROF is forwarded, unless ringmaster itself runs V8's sampling profiler
  assert.ok(forwardableSignals(false).includes('SIGPROF'));
  assert.ok(!forwardableSignals(true).includes('SIGPROF'));
  assert.equal(selfProfiled([], ''), false);
  assert.equal(selfProfiled(['--cpu-prof'], ''), true);
  assert.equal(selfProfiled([], '--max-old-space-size=100 --inspect=0'), true);
  assert.equal(selfProfiled(['--cpu-prof-dir=/tmp'], ''), false);
});

test('wait status decoding', () => {
  assert.deepEqual(decodeWaitStatus(3 << 8), { kind: 'exited', code: 3 });
  assert.deepEqual(decodeWaitStatus(9), { kind: 'signaled', signal: 9 });
  assert.deepEqual(decodeWaitStatus(0x80 | 15), { kind: 'signaled', signal: 15 });
});
