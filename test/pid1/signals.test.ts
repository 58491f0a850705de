import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRingmaster, startProcess, BIN, FIXTURES, procStatus, sleep } from '../helpers/run.js';
import { forwardableSignals, shutdownSignals } from '../../src/lifecycle/signal-policy.js';

const SHUTDOWN = shutdownSignals('command');

test('every catchable signal sent to PID 1 reaches the child, then TERM ends it', async () => {
  const rm = startRingmaster(['--', 'node', `${FIXTURES}sigcatch.mjs`], { env: { ...process.env, SIGCATCH_EXIT_ON: 'SIGTERM' } });
  try {
    await rm.waitStdout((s) => s.includes('ready\n'));
    const init = await rm.initPid();
    const order = [...forwardableSignals().filter((s) => !SHUTDOWN.has(s)), 'SIGINT', 'SIGQUIT', 'SIGTERM'] as NodeJS.Signals[];
    for (const sig of order) {
      process.kill(init, sig);
      await rm.waitStdout((s) => s.includes(`${sig}\n`), 5_000);
    }
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
  } finally {
    await rm.close();
  }
});

for (const [sig, code] of [
  ['SIGTERM', 143],
  ['SIGUSR1', 138],
  ['SIGUSR2', 140],
] as const) {
  test(`${sig} to PID 1 with a default-disposition child: exit ${code}`, async () => {
    const rm = startRingmaster(['--', 'sleep', '30']);
    try {
      const init = await rm.initPid();
      await sleep(200);
      process.kill(init, sig);
      const r = await rm.exit();
      assert.equal(r.code, code, rm.stderr());
    } finally {
      await rm.close();
    }
  });
}

test('-g sends signals to the whole process group: the grandchild gets it too', async () => {
  const rm = startRingmaster(['-g', '--', 'node', `${FIXTURES}pgroup.mjs`]);
  try {
    await rm.waitStdout((s) => s.includes('ready'));
    process.kill(await rm.initPid(), 'SIGUSR1');
    await rm.waitStdout((s) => s.includes('grandchild SIGUSR1'));
    assert.match(rm.stdout(), /child SIGUSR1/);
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
  } finally {
    await rm.close();
  }
});

test('without -g only the child gets the signal; the grandchild is terminated when the child is gone', async () => {
  const rm = startRingmaster(['--', 'node', `${FIXTURES}pgroup.mjs`]);
  try {
    await rm.waitStdout((s) => s.includes('ready'));
    const init = await rm.initPid();
    process.kill(init, 'SIGUSR1');
    await rm.waitStdout((s) => s.includes('child SIGUSR1'));
    await sleep(300);
    assert.doesNotMatch(rm.stdout(), /grandchild/);
    process.kill(init, 'SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 143, rm.stderr());
  } finally {
    await rm.close();
  }
});

test('kernel-fault and real-time signals sent with kill() neither kill the init nor reach the child', async () => {
  const rm = startRingmaster(['--', 'node', `${FIXTURES}sigcatch.mjs`]);
  try {
    await rm.waitStdout((s) => s.includes('ready\n'));
    const init = await rm.initPid();
    for (const sig of ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 34, 40, 64] as const) process.kill(init, sig);
    await sleep(300);
    assert.equal(rm.stdout(), 'ready\n');
    process.kill(init, 'SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
  } finally {
    await rm.close();
  }
});

test('as PID 1, the child starts with no real-time signal ignored (the kernel shields the init; nothing to inherit)', async () => {
  const rm = startRingmaster(['--', 'sh', '-c', 'grep SigIgn /proc/$$/status']);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
    const hex = /SigIgn:\s+([0-9a-f]+)/.exec(rm.stdout())?.[1];
    assert.ok(hex, rm.stdout());
    assert.equal(BigInt(`0x${hex}`) >> 33n, 0n, `real-time signals ignored in the child: SigIgn ${hex}`);
  } finally {
    await rm.close();
  }
});

test('ringmaster under node --cpu-prof passes no profiler tick to its child; otherwise SIGPROF is forwarded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rm-prof-'));
  const rm = startProcess([process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, BIN, '--', 'sleep', '1']);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 0, `the child died of a forwarded SIGPROF? ${rm.stderr()}`);
  } finally {
    await rm.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('not PID 1: a real-time signal does not kill ringmaster', async () => {
  const rm = startRingmaster(['--', 'sleep', '30'], { pid1: false });
  try {
    process.kill(await rm.initPid(), 40);
    await sleep(200);
    assert.ok(procStatus(rm.proc.pid as number).get('State'));
    rm.proc.kill('SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 143);
  } finally {
    await rm.close();
  }
});

test('--parent-death-signal: when our parent dies, the signal reaches the child', async () => {
  // ringmaster runs under a shell we can kill: the shell is the parent that dies.
  const sh = startProcess(['sh', '-c', `"${process.execPath}" "${BIN}" -p SIGUSR1 -- "${process.execPath}" "${FIXTURES}sigcatch.mjs" & echo rm $!; wait`], { pid1: false });
  let rmPid = 0;
  try {
    const out = await sh.waitStdout((s) => /rm \d+/.test(s) && s.includes('ready\n'));
    rmPid = Number(/rm (\d+)/.exec(out)?.[1]);
    sh.proc.kill('SIGKILL');
    await sh.waitStdout((s) => s.includes('SIGUSR1\n'));
  } finally {
    if (rmPid) {
      try {
        process.kill(rmPid, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(rmPid, 0);
        } catch {
          break;
        }
        await sleep(50);
      }
    }
    await sh.close();
  }
});
