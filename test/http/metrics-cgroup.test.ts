/** The cgroup limit gauges, read at each scrape from a fake v2 hierarchy (a temp dir as the root). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics } from '../../src/metrics/index.js';
import { snapshot } from '../helpers/snapshot.js';

test('ringmaster_cgroup_*_limit_*: the limits, read on scrape; absent when unlimited', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rm-cgroup-metrics-'));
  try {
    mkdirSync(join(root, 'proc/self'), { recursive: true });
    mkdirSync(join(root, 'sys/fs/cgroup'), { recursive: true });
    const put = (p: string, text: string): void => writeFileSync(join(root, p), `${text}\n`);
    put('proc/self/cgroup', '0::/');
    put('proc/self/mountinfo', '600 590 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw');
    put('sys/fs/cgroup/cgroup.controllers', 'cpu memory');
    put('sys/fs/cgroup/cpu.max', '250000 100000');
    put('sys/fs/cgroup/memory.max', '536870912');
    const m = createMetrics(() => snapshot(), undefined, { root });
    const text = await m.render();
    assert.match(text, /^# HELP ringmaster_cgroup_cpu_limit_cores CPU limit of the init's cgroup/m);
    assert.match(text, /^# TYPE ringmaster_cgroup_cpu_limit_cores gauge$/m);
    assert.match(text, /^ringmaster_cgroup_cpu_limit_cores\{cgroup_version="2"\} 2\.5$/m);
    assert.match(text, /^ringmaster_cgroup_memory_limit_bytes\{cgroup_version="2"\} 536870912$/m);
    // read again at the next scrape: limits lifted
    put('sys/fs/cgroup/cpu.max', 'max 100000');
    put('sys/fs/cgroup/memory.max', 'max');
    const after = await m.render();
    assert.doesNotMatch(after, /^ringmaster_cgroup_cpu_limit_cores\{/m);
    assert.doesNotMatch(after, /^ringmaster_cgroup_memory_limit_bytes\{/m);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
