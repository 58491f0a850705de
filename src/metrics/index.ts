/**
 * The init's Prometheus metrics: a private prom-client Registry (never the global one)
 * whose collectors read the init's snapshot and /proc when scraped, and do nothing in
 * between. Importing this module loads prom-client: the HTTP endpoint imports it lazily,
 * only when metrics are on.
 *
 * Names follow the Prometheus conventions (one `ringmaster_` prefix, base units, `_total`
 * on counters only) and pass `promtool check metrics` without a warning; `process_*` are
 * the standard metrics of the init process itself.
 */
import { Registry } from './prom.js';
import type { InitSnapshot } from '../lifecycle/api.js';
import type { CgroupOptions } from '../sys/cgroup.js';
import { cgroupMetrics } from './cgroup.js';
import { endpointMetrics, type EndpointStats } from './endpoint.js';
import { initMetrics } from './init.js';
import { processMetrics } from './process.js';
import { scrapeSource } from './scrape.js';
import { socketMetrics } from './sockets.js';
import { taskMetrics } from './tasks.js';
import { watcherMetrics } from './watchers.js';

export interface Metrics {
  registry: Registry;
  /** for the Content-Type header of /metrics (Prometheus text format 0.0.4) */
  contentType: string;
  /** the exposition text of one scrape */
  render(): Promise<string>;
}

/**
 * A private Registry whose collectors read `snapshot()` (once per scrape), the endpoint's
 * counters, /proc and the init's cgroup (`cgroup`: where to read it, for tests) at scrape time.
 */
export function createMetrics(snapshot: () => InitSnapshot, endpoint?: () => EndpointStats, cgroup?: CgroupOptions): Metrics {
  const registry = new Registry();
  const scrape = scrapeSource(snapshot);
  watcherMetrics(registry, scrape);
  socketMetrics(registry, scrape);
  taskMetrics(registry, scrape);
  initMetrics(registry, scrape);
  cgroupMetrics(registry, cgroup);
  if (endpoint) endpointMetrics(registry, endpoint);
  processMetrics(registry);
  return { registry, contentType: registry.contentType, render: () => registry.metrics() };
}
