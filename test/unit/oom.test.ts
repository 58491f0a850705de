// OOM kills named: the cgroup's oom_kill count found and parsed against fixture trees of a
// v2 and a v1 hierarchy (a temp dir injected as /proc and as the root of the mounts), the
// counter's claims, and a watcher on fakes naming a SIGKILL exit `oom`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findOomKillFile, oomKillCounter, OomKillCounter, parseOomKill } from '../../src/sys/oom.js';
import { WatcherTally } from '../../src/supervisor/tally.js';
import { fakeWatcher } from './fake-supervisor.js';

const SIGKILL = { kind: 'signaled', signal: 'SIGKILL', number: 9 } as const;

/** A fixture tree: `files` by path relative to its root; removed by the returned function. */
function tree(files: Record<string, string>): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'ringmaster-oom-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

const V2_EVENTS = 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n';
const V1_CONTROL = 'oom_kill_disable 0\nunder_oom 0\noom_kill 5\n';

test('v2: a container with a cgroup namespace (0::/) reads memory.events of the mount point', () => {
  const t = tree({
    'proc/self/cgroup': '0::/\n',
    'proc/self/mountinfo': '24 30 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
    'sys/fs/cgroup/memory.events': V2_EVENTS,
  });
  try {
    const f = findOomKillFile({ root: t.root });
    assert.deepEqual(f, { version: 2, path: join(t.root, 'sys/fs/cgroup/memory.events') });
    assert.equal(oomKillCounter({ root: t.root })?.file.version, 2);
  } finally {
    t.remove();
  }
});

test('v2 on a host: the cgroup path under the mount; a mount whose root is a sub-cgroup takes the path relative to it', () => {
  const t = tree({
    'proc/self/cgroup': '0::/kubepods.slice/pod1/ctr\n',
    'proc/self/mountinfo': '24 30 0:22 /kubepods.slice/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
    'sys/fs/cgroup/cgroup.controllers': 'cpu memory\n',
    'sys/fs/cgroup/ctr/memory.events': V2_EVENTS,
  });
  try {
    assert.equal(findOomKillFile({ root: t.root })?.path, join(t.root, 'sys/fs/cgroup/ctr/memory.events'));
  } finally {
    t.remove();
  }
});

test('hybrid: a v2 hierarchy without the memory controller falls back to v1 memory.oom_control (mount points with escapes)', () => {
  const t = tree({
    'proc/self/cgroup': '4:memory:/job/1\n3:cpu,cpuacct:/job/1\n0::/\n',
    'proc/self/mountinfo': [
      '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct',
      '34 30 0:31 / /sys/fs/cgroup/my\\040memory rw,relatime shared:12 - cgroup cgroup rw,memory',
      '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '',
    ].join('\n'),
    'sys/fs/cgroup/unified/cgroup.procs': '1\n',
    'sys/fs/cgroup/my memory/job/1/memory.oom_control': V1_CONTROL,
  });
  try {
    const paths = { root: t.root };
    assert.deepEqual(findOomKillFile(paths), { version: 1, path: join(t.root, 'sys/fs/cgroup/my memory/job/1/memory.oom_control') });
    const c = oomKillCounter(paths);
    assert.ok(c);
    assert.equal(c.counter.claim(), false, 'kills before the start are nobody\'s');
    writeFileSync(c.file.path, V1_CONTROL.replace('oom_kill 5', 'oom_kill 6'));
    assert.equal(c.counter.claim(), true);
    assert.equal(c.counter.claim(), false);
  } finally {
    t.remove();
  }
});

test('no memory cgroup to read: no counter (a SIGKILL stays signaled)', () => {
  const t = tree({ 'proc/self/cgroup': '0::/\n', 'proc/self/mountinfo': '24 30 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n' });
  try {
    assert.equal(findOomKillFile({ root: t.root }), undefined);
    assert.equal(oomKillCounter({ root: join(t.root, 'nowhere') }), undefined);
  } finally {
    t.remove();
  }
});

test('parsing: oom_kill in either file (the cgroup lines and mountinfo are cgroup.ts\'s, tested with it)', () => {
  assert.equal(parseOomKill(V2_EVENTS), 2);
  assert.equal(parseOomKill(V1_CONTROL), 5);
  assert.equal(parseOomKill('oom_kill_disable 0\nunder_oom 0\n'), undefined, 'a v1 kernel before 4.13 has no count');
});

test('the counter: a rise of N names N SIGKILL exits reaped together; a rise left unclaimed is forgotten after a while', () => {
  let count = 0;
  let now = 0;
  const c = new OomKillCounter(() => count, () => now);
  assert.equal(c.claim(), false);
  count = 2;
  assert.equal(c.claim(), true);
  now += 50;
  assert.equal(c.claim(), true, 'two workers killed at once: both named');
  assert.equal(c.claim(), false);
  count = 4;
  assert.equal(c.claim(), true);
  now += 60_000;
  assert.equal(c.claim(), false, 'the second kill of that rise was a worker\'s child: not a kill -9 a minute later');
});

test('a watcher names a worker SIGKILLed by the OOM killer `oom` (instead of signaled): event, exit counts, last exit', async () => {
  let oomKilled = true;
  let asked = 0;
  const f = fakeWatcher({ numprocesses: 2, max_retry: -1 }, { oom: { killedByOom: () => (asked++, oomKilled) } });
  await f.watcher.start();
  f.live(1).exit(SIGKILL);
  await f.clock.advance(1000);
  oomKilled = false;
  f.live(2).exit(SIGKILL);
  await f.clock.advance(1000);
  f.live(1).exit({ kind: 'signaled', signal: 'SIGTERM', number: 15 });
  await f.clock.advance(1000);
  assert.equal(asked, 2, 'asked of SIGKILL exits only');
  assert.deepEqual(f.of('worker.exited').map((e) => [e.wid, e.cause, e.reason]), [[1, 'unexpected', 'oom'], [2, 'unexpected', 'signaled'], [1, 'unexpected', 'signaled']]);
  const s = f.watcher.status();
  assert.equal(s.exits.oom, 1);
  assert.equal(s.exits.signaled, 2);
  assert.equal(s.lastExit?.reason, 'signaled');
  await f.watcher.stop();
  assert.equal(asked, 2, 'a stop is stopped, whatever the signal: not asked');
});

test('the tally counts oom and keeps it as the last exit\'s reason', () => {
  const t = new WatcherTally();
  t.record({ type: 'worker.exited', watcher: 'web', wid: 3, pid: 9, reason: 'oom', outcome: SIGKILL, cause: 'unexpected' }, 5);
  assert.equal(t.exits.oom, 1);
  assert.deepEqual(t.lastExit, { wid: 3, outcome: SIGKILL, at: 5, reason: 'oom' });
});
