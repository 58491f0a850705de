/**
 * What the init knows of its container's limits, read from its cgroup at each scrape
 * (src/sys/cgroup.ts), so a dashboard can put the workers' CPU and memory next to them.
 * A series is absent when there is no limit; `cgroup_version` says which hierarchy it came from.
 */
import type { Registry } from 'prom-client';
import { cpuLimit, memoryLimit, type CgroupOptions } from '../sys/cgroup.js';
import { gauge } from './define.js';

export function cgroupMetrics(registry: Registry, o: CgroupOptions = {}): void {
  gauge(registry, {
    name: 'ringmaster_cgroup_cpu_limit_cores',
    help: "CPU limit of the init's cgroup (the tightest CFS quota on its path, divided by the period), in CPUs; absent when there is none.",
    labelNames: ['cgroup_version'] as const,
    samples: () => {
      const c = cpuLimit(o);
      return c.cores === undefined ? [] : [[{ cgroup_version: String(c.version) }, c.cores]];
    },
  });
  gauge(registry, {
    name: 'ringmaster_cgroup_memory_limit_bytes',
    help: "Memory limit of the init's cgroup (the tightest on its path), in bytes; absent when there is none.",
    labelNames: ['cgroup_version'] as const,
    samples: () => {
      const m = memoryLimit(o);
      return m === undefined ? [] : [[{ cgroup_version: String(m.version) }, m.bytes]];
    },
  });
}
