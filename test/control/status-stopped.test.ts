import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStatus } from '../../src/control/status-table.js';
import type { WatcherStatus } from '../../src/supervisor/watcher.js';
import { BIN, runCollect, startRingmaster } from '../helpers/run.js';
import { tempDir } from '../helpers/config.js';
import { snapshot, watcher } from '../helpers/snapshot.js';

const NOW = 1_700_000_100_000;

function lastExitCell(lastExit: WatcherStatus['lastExit']): string {
  const text = formatStatus(snapshot({ watchers: [watcher('web', { lastExit })] }), NOW);
  const row = text.split('\n').find((l) => l.startsWith('web '));
  return (row ?? '').replace(/^web +running +2\/2 +2\/2 +0 +/, '');
}

test('ctl status LAST EXIT: a worker stopped on purpose is "stopped", a crash is still a kill or a failure', () => {
  const at = NOW - 5_000;
  const term = { kind: 'signaled', signal: 'SIGTERM', number: 15 } as const;
  assert.equal(lastExitCell({ wid: 2, outcome: term, at, reason: 'stopped' }), 'wid 2 stopped (SIGTERM), 5s ago');
  assert.equal(lastExitCell({ wid: 1, outcome: { kind: 'exited', code: 0 }, at, reason: 'stopped' }), 'wid 1 stopped (exit 0), 5s ago');
  assert.equal(lastExitCell({ wid: 1, outcome: { kind: 'signaled', signal: 'SIGKILL', number: 9 }, at, reason: 'stopped' }), 'wid 1 stopped (SIGKILL), 5s ago');
  assert.equal(lastExitCell({ wid: 2, outcome: term, at, reason: 'signaled' }), 'wid 2 killed by SIGTERM, 5s ago');
  assert.equal(lastExitCell({ wid: 2, outcome: { kind: 'exited', code: 3 }, at, reason: 'failed' }), 'wid 2 exited 3, 5s ago');
  assert.equal(lastExitCell({ wid: 2, outcome: { kind: 'signaled', signal: 'SIGKILL', number: 9 }, at, reason: 'oom' }), 'wid 2 killed by the OOM killer (SIGKILL), 5s ago');
});

test('after a rolling restart, ctl status shows the replaced worker as stopped', async () => {
  const t = tempDir();
  const cfg = t.write('rm.yaml', 'watchers:\n  web:\n    cmd: sleep 1000\n    numprocesses: 2\n');
  const rm = startRingmaster(['-c', cfg]);
  const env = { ...process.env, RINGMASTER_CONTROL_SOCKET: rm.controlSocket };
  try {
    await rm.waitStderr((s) => (s.match(/worker started/g) ?? []).length >= 2);
    const restart = await runCollect([process.execPath, BIN, 'ctl', 'restart', 'web', '--rolling'], { env });
    assert.equal(restart.code, 0, restart.err);
    const status = await runCollect([process.execPath, BIN, 'ctl', 'status'], { env });
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /^web +running +2\/2 +2\/2 +0 +wid [12] stopped \(SIGTERM\), \d+s ago$/m);
    process.kill(await rm.initPid(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0, rm.stderr());
  } finally {
    await rm.close();
    t.cleanup();
  }
});
