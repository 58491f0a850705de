/**
 * The standard process_* metrics, of the init itself (the process that serves /metrics),
 * from /proc/self and Node. Not prom-client's collectDefaultMetrics(): three of its
 * nodejs_* gauges end in _total, which `promtool check metrics` rejects, and it adds a
 * GC observer and an event-loop histogram the init does not need.
 */
import type { Registry } from 'prom-client';
import { counter, gauge, type Sample } from './define.js';
import { bootTime, kernelUnits, maxFds, openFdCount, readPidStat, readPidStatm } from './proc.js';

function one(value: number | undefined): Iterable<Sample<never>> {
  return value === undefined ? [] : [[{}, value]];
}

/** statm is in pages; libuv's rss (process.memoryUsage) reads the approximate one of /proc/self/stat. */
function pages(n: number | undefined): number | undefined {
  return n === undefined ? undefined : n * kernelUnits().pageSize;
}

export function processMetrics(registry: Registry): void {
  let startTime: number | undefined;
  counter(registry, {
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    labelNames: [],
    samples: () => {
      const u = process.cpuUsage();
      return one((u.user + u.system) / 1e6);
    },
  });
  gauge(registry, {
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    labelNames: [],
    samples: () => one(pages(readPidStatm('self')?.residentPages)),
  });
  gauge(registry, {
    name: 'process_virtual_memory_bytes',
    help: 'Virtual memory size in bytes.',
    labelNames: [],
    samples: () => one(pages(readPidStatm('self')?.sizePages)),
  });
  gauge(registry, {
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    labelNames: [],
    samples: () => {
      if (startTime === undefined) {
        // /proc/self/stat starttime is in clock ticks after boot: exact, unlike now - uptime.
        const st = readPidStat('self');
        const boot = bootTime();
        if (st && boot !== undefined) startTime = boot + st.startTicks / kernelUnits().clockTicks;
      }
      return one(startTime);
    },
  });
  gauge(registry, {
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    labelNames: [],
    samples: () => one(openFdCount()),
  });
  gauge(registry, {
    name: 'process_max_fds',
    help: 'Maximum number of open file descriptors.',
    labelNames: [],
    samples: () => one(maxFds()),
  });
}
