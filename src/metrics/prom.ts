/**
 * The three prom-client classes the init uses, loaded from their own files: the package's
 * index also loads its histogram, summary, pushgateway (http, https, url), cluster
 * aggregator, default metrics and @opentelemetry/api, which cost a PID 1 +12.7 MB and
 * ~60 ms at start where these three cost +0.6 MB (BENCHMARKS.md, "Start-up"). The only
 * module that imports prom-client at run time; the others import its types.
 */
import type * as Prom from 'prom-client';
import registry from 'prom-client/lib/registry.js';
import counter from 'prom-client/lib/counter.js';
import gauge from 'prom-client/lib/gauge.js';

export const Registry = registry as typeof Prom.Registry;
export type Registry<T extends Prom.RegistryContentType = Prom.PrometheusContentType> = Prom.Registry<T>;
export const Counter = counter as typeof Prom.Counter;
export type Counter<T extends string = string> = Prom.Counter<T>;
export const Gauge = gauge as typeof Prom.Gauge;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
