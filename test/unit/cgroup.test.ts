/**
 * src/sys/cgroup.ts against fake hierarchies written to a temp dir injected as the root:
 * cgroup v2 (a pod and a container cgroup on a host, a cgroup namespace), a v1/v2 hybrid,
 * cpusets, memory limits; and how `auto*F` rounds. The real v1 kernel is in cgroup-v1.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { autoProcesses, cgroupDirs, countCpuList, cpuLimit, memoryLimit, quotaV1, quotaV2, type CgroupOptions } from '../../src/sys/cgroup.js';
import { resolveProcessCounts } from '../../src/lifecycle/process-count.js';
import { yaml } from '../config/helpers.js';
import { isEmpty, planReload } from '../../src/supervisor/reload-plan.js';

const V2_MOUNT = '35 25 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate';

/** A root directory holding `files` (path -> content), removed after `fn`. */
function withRoot(files: Record<string, string>, fn: (o: CgroupOptions) => void, cpus = 8): void {
  const root = mkdtempSync(join(tmpdir(), 'rm-cgroup-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), `${text}\n`);
    }
    fn({ root, availableParallelism: () => cpus });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A v2 host: a pod cgroup and a container cgroup under it (Kubernetes sets a limit on both). */
function v2Pod(pod: string, ctr: string, extra: Record<string, string> = {}): Record<string, string> {
  const P = '/sys/fs/cgroup/kubepods.slice/pod1';
  return {
    '/proc/self/cgroup': '0::/kubepods.slice/pod1/ctr1',
    '/proc/self/mountinfo': `24 1 8:1 / / rw - ext4 /dev/sda1 rw\n${V2_MOUNT}`,
    '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids',
    [`${P}/cpu.max`]: pod,
    [`${P}/ctr1/cpu.max`]: ctr,
    ...extra,
  };
}

test('cpu.max and cfs quota parsing: max and -1 mean no limit', () => {
  assert.equal(quotaV2('150000 100000'), 1.5);
  assert.equal(quotaV2('max 100000'), undefined);
  assert.equal(quotaV2('50000'), 0.5);
  assert.equal(quotaV2(undefined), undefined);
  assert.equal(quotaV1('150000', '100000'), 1.5);
  assert.equal(quotaV1('-1', '100000'), undefined);
  assert.equal(quotaV1('garbage', '100000'), undefined);
  assert.equal(countCpuList('0-3,6'), 5);
  assert.equal(countCpuList('2'), 1);
  assert.equal(countCpuList(''), undefined);
  assert.equal(countCpuList('0-x'), undefined);
});

test('v2: the tightest cpu.max on the path up to the mount, the container below the pod', () => {
  withRoot(v2Pod('200000 100000', 'max 100000'), (o) => {
    assert.deepEqual(cgroupDirs('cpu', o)?.dirs, ['/sys/fs/cgroup/kubepods.slice/pod1/ctr1', '/sys/fs/cgroup/kubepods.slice/pod1', '/sys/fs/cgroup/kubepods.slice', '/sys/fs/cgroup']);
    assert.deepEqual(cpuLimit(o), { cores: 2, version: 2, cpus: 8 });
  });
  withRoot(v2Pod('200000 100000', '150000 100000'), (o) => {
    assert.deepEqual(cpuLimit(o), { cores: 1.5, version: 2, cpus: 8 });
    assert.deepEqual(autoProcesses(1, cpuLimit(o)), { n: 2, source: 'auto: cgroup v2 cpu limit 1.5 CPUs' });
    assert.deepEqual(autoProcesses(2, cpuLimit(o)), { n: 3, source: 'auto*2: cgroup v2 cpu limit 1.5 CPUs' });
    assert.deepEqual(autoProcesses(0.5, cpuLimit(o)), { n: 1, source: 'auto*0.5: cgroup v2 cpu limit 1.5 CPUs' });
  });
});

test('v2: no limit anywhere: the cpuset, never more than the CPUs the scheduler allows', () => {
  const cpuset = { '/sys/fs/cgroup/kubepods.slice/pod1/ctr1/cpuset.cpus.effective': '0-2' };
  withRoot(v2Pod('max 100000', 'max 100000', cpuset), (o) => {
    assert.deepEqual(cpuLimit(o), { cores: undefined, version: undefined, cpus: 3 });
    assert.deepEqual(autoProcesses(1, cpuLimit(o)), { n: 3, source: 'auto: 3 CPUs available' });
  });
  withRoot(v2Pod('max 100000', 'max 100000', cpuset), (o) => assert.equal(cpuLimit(o).cpus, 2), 2);
  // a quota above the cpuset: the cpuset wins
  withRoot(v2Pod('800000 100000', 'max 100000', cpuset), (o) => assert.deepEqual(autoProcesses(1, cpuLimit(o)), { n: 3, source: 'auto: 3 CPUs available' }));
});

test('v2 in a cgroup namespace: the path is / and the mount is the container', () => {
  withRoot(
    {
      '/proc/self/cgroup': '0::/',
      '/proc/self/mountinfo': '600 590 0:30 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw',
      '/sys/fs/cgroup/cgroup.controllers': 'cpu memory',
      '/sys/fs/cgroup/cpu.max': '150000 100000',
      '/sys/fs/cgroup/memory.max': '536870912',
    },
    (o) => {
      assert.deepEqual(cgroupDirs('cpu', o)?.dirs, ['/sys/fs/cgroup']);
      assert.equal(cpuLimit(o).cores, 1.5);
      assert.equal(memoryLimit(o)?.bytes, 536870912);
    },
  );
});

test('v2 memory: the tightest memory.max on the path, none when all are max', () => {
  const P = '/sys/fs/cgroup/kubepods.slice/pod1';
  withRoot(v2Pod('max 100000', 'max 100000', { [`${P}/memory.max`]: '1073741824', [`${P}/ctr1/memory.max`]: 'max' }), (o) => assert.equal(memoryLimit(o)?.bytes, 1073741824));
  withRoot(v2Pod('max 100000', 'max 100000', { [`${P}/memory.max`]: 'max' }), (o) => assert.equal(memoryLimit(o)?.bytes, undefined));
});

test('hybrid host: v2 without the cpu controller, so v1 cpu,cpuacct is read (quota -1 = no limit)', () => {
  const files = (quota: string): Record<string, string> => ({
    '/proc/self/cgroup': '4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc',
    '/proc/self/mountinfo': [
      '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
      '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '40 30 0:36 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n'),
    '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb',
    // a v2 file that must not be read: v2 does not have the controller
    '/sys/fs/cgroup/unified/docker/abc/cpu.max': '10000 100000',
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': quota,
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000',
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1',
    '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000',
    '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '268435456',
    '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712',
  });
  withRoot(files('150000'), (o) => {
    assert.deepEqual(cpuLimit(o), { cores: 1.5, version: 1, cpus: 8 });
    assert.equal(memoryLimit(o)?.bytes, 268435456);
    assert.equal(cgroupDirs('memory', o)?.version, 1);
  });
  withRoot(files('-1'), (o) => assert.deepEqual(cpuLimit(o), { cores: undefined, version: undefined, cpus: 8 }));
});

test('v1 mount showing a sub-directory (a container without a cgroup namespace): the mount is the cgroup', () => {
  withRoot(
    {
      '/proc/self/cgroup': '3:cpuset:/docker/abc\n2:cpu:/docker/abc',
      '/proc/self/mountinfo': '31 30 0:28 /docker/abc /sys/fs/cgroup/cpu ro - cgroup cgroup rw,cpu\n33 30 0:30 /docker/abc /sys/fs/cgroup/cpuset ro - cgroup cgroup rw,cpuset',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '250000',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
      '/sys/fs/cgroup/cpuset/cpuset.effective_cpus': '0-5',
    },
    (o) => {
      assert.deepEqual(cgroupDirs('cpu', o)?.dirs, ['/sys/fs/cgroup/cpu']);
      assert.deepEqual(cpuLimit(o), { cores: 2.5, version: 1, cpus: 6 });
    },
  );
});

test('nothing mounted: the CPUs available; at least 1 worker', () => {
  withRoot({ '/proc/self/cgroup': '0::/' }, (o) => {
    assert.deepEqual(cpuLimit(o), { cores: undefined, version: undefined, cpus: 8 });
    assert.equal(memoryLimit(o)?.bytes, undefined);
  });
  assert.deepEqual(autoProcesses(0.01, { cores: 0.1, version: 2, cpus: 8 }), { n: 1, source: 'auto*0.01: cgroup v2 cpu limit 0.1 CPUs' });
  assert.equal(autoProcesses(1, { cores: undefined, version: undefined, cpus: 1 }).source, 'auto: 1 CPU available');
});

test('resolveProcessCounts: auto watchers get their number and its source, the others are untouched', () => {
  const config = yaml('watchers:\n  web:\n    cmd: node app.js\n    numprocesses: auto*2\n  jobs:\n    cmd: node jobs.js\n    numprocesses: 3\n');
  const r = resolveProcessCounts(config, () => ({ cores: 1.5, version: 1, cpus: 2 }));
  const by = (name: string) => r.watchers.find((w) => w.name === name);
  assert.deepEqual([by('web')?.numprocesses, by('web')?.numprocesses_source], [3, 'auto*2: cgroup v1 cpu limit 1.5 CPUs']);
  assert.equal(by('jobs'), config.watchers.find((w) => w.name === 'jobs'));
  assert.ok(Object.isFrozen(by('web')));
  const plain = yaml('watchers:\n  jobs:\n    cmd: node jobs.js\n');
  assert.equal(resolveProcessCounts(plain, () => assert.fail('no auto: nothing read')), plain);
});

test('reload: a CPU limit that changed scales an auto watcher, it does not restart it', () => {
  const config = yaml('watchers:\n  web:\n    cmd: node app.js\n    numprocesses: auto\n');
  const before = resolveProcessCounts(config, () => ({ cores: 1.5, version: 2, cpus: 8 }));
  const after = resolveProcessCounts(config, () => ({ cores: 4, version: 2, cpus: 8 }));
  const plan = planReload(before, after);
  assert.deepEqual(plan.watchersRestarted, []);
  assert.deepEqual(plan.watchersScaled, [{ name: 'web', numprocesses: 4, source: 'auto: cgroup v2 cpu limit 4 CPUs' }]);
  assert.ok(isEmpty(planReload(before, resolveProcessCounts(config, () => ({ cores: 1.5, version: 2, cpus: 8 })))));
});
