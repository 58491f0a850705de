/**
 * Who sent each control request (SO_PEERCRED), in the log, and a sender that is neither
 * the init's user nor root refused even when the socket's mode would let it in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { BIN, runCollect } from '../helpers/run.js';
import { startHarness } from './fake.js';

function ctlProcess(prefix: string[], args: string[]): Promise<{ pid: number; code: number | null; out: string; err: string }> {
  return runCollect([...prefix, process.execPath, BIN, 'ctl', ...args]);
}

test('each request is logged with its sender (pid, uid, gid): info for a change, debug for status', async () => {
  const h = await startHarness();
  try {
    const scale = await ctlProcess([], ['--socket', h.path, 'scale', 'web', '3']);
    assert.equal(scale.code, 0, scale.err);
    const status = await ctlProcess([], ['--socket', h.path, 'status']);
    assert.equal(status.code, 0, status.err);
    const uid = process.getuid?.() as number;
    const gid = process.getgid?.() as number;
    const logged = h.logLines.join('\n');
    assert.match(logged, new RegExp(`info: control request cmd=scale watcher=web peer_pid=${scale.pid} peer_uid=${uid} peer_gid=${gid}`));
    assert.match(logged, new RegExp(`debug: control request cmd=status peer_pid=${status.pid} peer_uid=${uid} peer_gid=${gid}`));
  } finally {
    await h.close();
  }
});

test("a sender that is neither the init's user nor root is refused, even when the socket's mode lets it connect", async () => {
  const h = await startHarness();
  try {
    // Someone widened the directory and the file: the mode no longer keeps nobody out.
    chmodSync(h.dir, 0o755);
    chmodSync(h.path, 0o666);
    const r = await ctlProcess(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], ['--socket', h.path, 'scale', 'web', '3']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /uid 65534 \(nobody\) may not control this ringmaster; run ringmaster ctl as uid 0 \(root\) or root \(RM_CTL_FORBIDDEN\)/);
    assert.deepEqual(h.controller.calls.filter((c) => c[0] === 'scale'), []);
    assert.match(h.logLines.join('\n'), new RegExp(`warn: control request refused: sender is not allowed cmd=scale watcher=web peer_pid=${r.pid} peer_uid=65534 peer_gid=65534`));
  } finally {
    await h.close();
  }
});
