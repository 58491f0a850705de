import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { startRingmaster, FIXTURES, procStatus, sleep } from '../helpers/run.js';

function lastJson(s: string): { mode: string; n: number; remaining: number } {
  const line = s.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  assert.ok(line, `no JSON line in ${JSON.stringify(s)}`);
  return JSON.parse(line);
}

for (const mode of ['storm', 'dead'] as const) {
  test(`as PID 1, 2000 orphans (${mode}) are all reaped and no zombie is left`, async () => {
    const rm = startRingmaster(['--', 'node', `${FIXTURES}orphans.mjs`, '2000', mode, '15000']);
    try {
      // spawning 2000 processes is what takes the time: ~20 s on a quiet 2-core VM, near 60 s under load
      const r = await rm.exit(180_000);
      const res = lastJson(rm.stdout());
      assert.equal(res.n, 2000);
      assert.equal(res.remaining, 0, `zombies left; stderr: ${rm.stderr()}`);
      assert.equal(r.code, 0, rm.stderr());
    } finally {
      await rm.close();
    }
  });
}

// 500 of each kind: spawning them is what takes the time (~10 ms a spawn on these VMs).
test('the init keeps the same number of fds after reaping a thousand orphans', async () => {
  const rm = startRingmaster(['--', 'sh', '-c', 'read x; node "$1" 500 storm 15000; node "$1" 500 dead 15000; read y', 'sh', `${FIXTURES}orphans.mjs`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    const init = await rm.initPid();
    await sleep(300);
    const before = readdirSync(`/proc/${init}/fd`).length;
    rm.proc.stdin?.write('go\n');
    await rm.waitStdout((s) => (s.match(/"remaining":0/g) ?? []).length === 2, 180_000);
    // A file the init is reading at that moment (its reaper reads /proc) is open for a
    // moment: a leak is an fd that stays, so the count must come back within a bound.
    let after = readdirSync(`/proc/${init}/fd`).length;
    for (let i = 0; i < 50 && after !== before; i++) {
      await sleep(100);
      after = readdirSync(`/proc/${init}/fd`).length;
    }
    assert.equal(after, before, 'fd count changed across reaping');
    rm.proc.stdin?.end('done\n');
    const r = await rm.exit();
    assert.equal(r.code, 0, rm.stderr());
  } finally {
    await rm.close();
  }
});

test("the main child's exit status survives orphans exiting at the same moment", async () => {
  // 100 orphans and the main child all exit ~200 ms in: SIGCHLDs coalesce, and the
  // reaper must still leave the main child's status to libuv.
  const script = 'for i in $(seq 100); do (sleep 0.2 &) ; done; sleep 0.2; exit 7';
  for (let i = 0; i < 3; i++) {
    const rm = startRingmaster(['--', 'sh', '-c', script]);
    try {
      const r = await rm.exit();
      assert.equal(r.code, 7, `run ${i}: ${rm.stderr()}`);
    } finally {
      await rm.close();
    }
  }
});

test('a main child whose SIGCHLD coalesces with a grandchild killed by SIGKILL is still seen (catatonit #4)', async () => {
  const rm = startRingmaster(['--', 'sh', '-c', "sh -c 'sleep 0.01 & kill -9 $$'; sleep 0.0087; exit 4"]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 4, rm.stderr());
  } finally {
    await rm.close();
  }
});

test('-w logs each reaped orphan', async () => {
  const rm = startRingmaster(['-w', '--', 'sh', '-c', "sh -c 'true & true & true & exec sleep 0.1'; sleep 0.3"]);
  try {
    const r = await rm.exit();
    assert.equal(r.code, 0);
    const lines = rm.stderr().split('\n').filter((l) => l.includes('reaped zombie process'));
    assert.ok(lines.length >= 1, `no reap line: ${rm.stderr()}`);
    assert.equal(lines.length, 3, rm.stderr());
    assert.match(lines[0] as string, /warn/);
  } finally {
    await rm.close();
  }
});

test('without -w, reaped orphans are not logged at the default verbosity', async () => {
  const rm = startRingmaster(['--', 'sh', '-c', "sh -c 'true & true & exec sleep 0.1'; sleep 0.3"]);
  try {
    await rm.exit();
    assert.doesNotMatch(rm.stderr(), /reaped zombie/);
  } finally {
    await rm.close();
  }
});

test('not PID 1: ringmaster becomes a child subreaper, so orphans come back to it', async () => {
  const rm = startRingmaster(['--', 'sh', '-c', 'sh -c "sleep 30 & echo orphan \\$!"; exec sleep 30'], { pid1: false });
  try {
    const out = await rm.waitStdout((s) => /orphan \d+/.test(s));
    const orphan = Number(/orphan (\d+)/.exec(out)?.[1]);
    await sleep(100);
    assert.equal(Number(procStatus(orphan).get('PPid')), rm.proc.pid, 'orphan not re-parented to ringmaster');
    rm.proc.kill('SIGTERM');
    const r = await rm.exit();
    assert.equal(r.code, 143);
    // the orphan was terminated too, not left behind
    assert.throws(() => procStatus(orphan));
  } finally {
    await rm.close();
  }
});

test('not PID 1 with --no-subreaper: a warning says reaping will not work', async () => {
  const rm = startRingmaster(['--no-subreaper', '--', 'true'], { pid1: false });
  try {
    const r = await rm.exit();
    assert.equal(r.code, 0);
    assert.match(rm.stderr(), /not running as PID 1.*zombie reaping will not work/);
  } finally {
    await rm.close();
  }
});
