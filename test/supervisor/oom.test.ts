// A worker killed by the real kernel's OOM killer is reported as `oom`: ringmaster runs in
// a cgroup v1 memory cgroup of its own (64 MiB, no swap), made under the test's own one
// and removed afterwards, and a worker grows until the kernel kills it. A SIGKILL sent by
// someone else in the same cgroup stays `signaled`. Needs root and the v1 memory controller
// (this project's CI has both); cgroup v2 is covered by the fixture tests (unit/oom.test.ts).
// In such a cgroup too: the memory limit gauge and `max_memory: N%` read the real limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findOomKillFile } from '../../src/sys/oom.js';
import { ctl } from '../helpers/ctl.js';
import { tempDir } from '../helpers/config.js';
import { collectEvents } from '../helpers/events.js';
import { get } from '../helpers/http.js';
import { startProcess, BIN } from '../helpers/run.js';

/** Why the test cannot run here, or the v1 memory cgroup to make its own under. */
function parentCgroup(): { dir: string } | { why: string } {
  if (process.getuid?.() !== 0) return { why: 'not root: cannot make a memory cgroup' };
  const f = findOomKillFile();
  if (f?.version !== 1) return { why: `no cgroup v1 memory controller to make a cgroup in (found ${f ? `v${f.version}` : 'none'})` };
  return { dir: dirname(f.path) };
}

function procsOf(cg: string): number[] {
  try {
    return readFileSync(join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** End what is left in `cg` (only processes this test started), then remove it. */
async function removeCgroup(cg: string): Promise<void> {
  if (!existsSync(cg)) return;
  for (let i = 0; i < 200 && procsOf(cg).length > 0; i++) {
    for (const pid of procsOf(cg)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  rmdirSync(cg);
}

// Grows 1 MiB every 5 ms; oom_score_adj 1000 (a process may raise its own) makes it the
// OOM killer's choice over ringmaster, which shares the cgroup's 64 MiB.
const HOG = `perl -e 'open(my $f, ">", "/proc/self/oom_score_adj") or die; print $f "1000"; close $f; my @a; while (1) { push @a, "x" x (1 << 20); select(undef, undef, undef, 0.005) }'`;

test('a worker killed by the kernel OOM killer exits as oom (ctl events, ctl status, log); a kill -9 stays signaled', { timeout: 90_000 }, async (t) => {
  const parent = parentCgroup();
  if ('why' in parent) return t.skip(parent.why);
  const cg = join(parent.dir, `ringmaster-test-oom-${process.pid}`);
  mkdirSync(cg);
  const tmp = tempDir();
  let rm: ReturnType<typeof startProcess> | undefined;
  let events: Awaited<ReturnType<typeof collectEvents>> | undefined;
  try {
    writeFileSync(join(cg, 'memory.limit_in_bytes'), String(64 << 20));
    // no swap to page out to: the limit is hit at once (memsw: memory + swap)
    if (existsSync(join(cg, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(cg, 'memory.memsw.limit_in_bytes'), String(64 << 20));
    writeFileSync(join(cg, 'memory.swappiness'), '0');
    const cfg = tmp.write(
      'r.yaml',
      `watchers:
  hog:
    cmd: ${JSON.stringify(HOG)}
    autostart: false
    respawn: false
  sleeper:
    cmd: sleep 1000
`,
    );
    rm = startProcess(['sh', '-c', `echo $$ > ${cg}/cgroup.procs && exec "$0" "$@"`, process.execPath, BIN, '-c', cfg], { pid1: false });
    await rm.waitStderr((s) => s.includes('all watchers started'), 20_000);
    events = await collectEvents(rm);
    assert.equal((await ctl(rm, ['start', 'hog'])).code, 0);
    const exit = await events.waitFor('worker.exited', (e) => e.watcher === 'hog', { ms: 30_000 });
    assert.equal(exit.reason, 'oom', JSON.stringify(exit));
    assert.deepEqual(exit.outcome, { kind: 'signaled', signal: 'SIGKILL', number: 9 });
    assert.equal(exit.cause, 'unexpected');
    assert.match(rm.stderr(), /worker exited: killed by the kernel's OOM killer .*watcher=hog .*signal=SIGKILL reason=oom/);

    // someone else's SIGKILL, with the cgroup's count unchanged: signaled
    const before = await statusOf(rm);
    const sleeper = before.watchers.find((w) => w.name === 'sleeper')?.workers[0]?.pid;
    assert.ok(sleeper);
    process.kill(sleeper, 'SIGKILL');
    const killed = await events.waitFor('worker.exited', (e) => e.watcher === 'sleeper');
    assert.equal(killed.reason, 'signaled');

    const s = await statusOf(rm);
    const hog = s.watchers.find((w) => w.name === 'hog');
    assert.equal(hog?.exits.oom, 1, JSON.stringify(hog?.exits));
    assert.equal(hog?.exits.signaled, 0);
    assert.equal(hog?.lastExit?.reason, 'oom');
    assert.equal(s.watchers.find((w) => w.name === 'sleeper')?.exits.signaled, 1);
    const text = await ctl(rm, ['status']);
    assert.match(text.stdout, /hog .*wid 1 killed by the OOM killer \(SIGKILL\)/);
    assert.match(text.stdout, /OOM kills: 1/);

    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await events?.close();
    await rm?.close();
    await removeCgroup(cg);
    tmp.cleanup();
  }
});

test('in a real v1 memory cgroup of 256 MiB: ringmaster_cgroup_memory_limit_bytes and max_memory: 25% read its limit', { timeout: 60_000 }, async (t) => {
  const parent = parentCgroup();
  if ('why' in parent) return t.skip(parent.why);
  const cg = join(parent.dir, `ringmaster-test-memlimit-${process.pid}`);
  mkdirSync(cg);
  const tmp = tempDir();
  let rm: ReturnType<typeof startProcess> | undefined;
  try {
    writeFileSync(join(cg, 'memory.limit_in_bytes'), String(256 << 20));
    const cfg = tmp.write('r.yaml', `ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\nwatchers:\n  web:\n    cmd: sleep 1000\n    max_memory: 25%\n`);
    rm = startProcess(['sh', '-c', `echo $$ > ${cg}/cgroup.procs && exec "$0" "$@"`, process.execPath, BIN, '-c', cfg], { pid1: false });
    await rm.waitStderr((s) => s.includes('all watchers started') && s.includes('http endpoint listening'), 45_000);
    const url = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr())?.[1];
    const metrics = (await get(`${url}/metrics`)).body;
    assert.match(metrics, /^ringmaster_cgroup_memory_limit_bytes\{cgroup_version="1"\} 268435456$/m);
    const text = await ctl(rm, ['status']);
    assert.match(text.stdout, /max_memory: 64 MiB \(25% of the cgroup v1 memory limit 256 MiB\)/);
    assert.match(rm.stderr(), /max_memory watcher=web max_memory_bytes=67108864 source="25% of the cgroup v1 memory limit 256 MiB"/);
    process.kill(await rm.initPidNow(), 'SIGTERM');
    assert.equal((await rm.exit()).code, 0);
  } finally {
    await rm?.close();
    await removeCgroup(cg);
    tmp.cleanup();
  }
});

interface OomStatus {
  watchers: Array<{ name: string; exits: Record<string, number>; lastExit?: { reason: string }; workers: Array<{ pid: number }> }>;
}

async function statusOf(rm: ReturnType<typeof startProcess>): Promise<OomStatus> {
  const r = await ctl(rm, ['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as OomStatus;
}
