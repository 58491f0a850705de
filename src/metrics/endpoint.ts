/** The HTTP endpoint's own counters: what it did to keep clients from using up the init's fds. */
import type { Registry } from 'prom-client';
import { counter } from './define.js';

export interface EndpointStats {
  /** connections closed because the endpoint held its maximum */
  connectionsDropped: number;
}

export function endpointMetrics(registry: Registry, stats: () => EndpointStats): void {
  counter(registry, {
    name: 'ringmaster_http_connections_dropped_total',
    help: 'Connections to the /metrics, /livez, /readyz endpoint that it closed because it held its maximum (the oldest idle one goes).',
    labelNames: [],
    samples: () => [[{}, stats().connectionsDropped]],
  });
}
