/**
 * Pull-style metric families: each one's samples are computed by a function at scrape
 * time (prom-client's collect()), so nothing runs between scrapes and a series that
 * disappears (a watcher removed by a reload) is gone from the next scrape.
 */
import { Counter, Gauge, type Registry } from './prom.js';

/** One series: its label values and its value. */
export type Sample<L extends string> = readonly [labels: Record<L, string>, value: number];

export interface Family<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  samples: () => Iterable<Sample<L>>;
}

/** A gauge whose series are exactly `samples()` at each scrape (non-finite values are left out). */
export function gauge<L extends string>(registry: Registry, f: Family<L>): void {
  new Gauge<L>({
    name: f.name,
    help: f.help,
    labelNames: f.labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of f.samples()) if (Number.isFinite(value)) this.set(labels, value);
    },
  });
}

/**
 * A counter read from a running total kept elsewhere (the supervisor, the kernel):
 * prom-client counters only inc(), so each scrape resets it and adds the total.
 */
export function counter<L extends string>(registry: Registry, f: Family<L>): void {
  new Counter<L>({
    name: f.name,
    help: f.help,
    labelNames: f.labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of f.samples()) if (Number.isFinite(value)) this.inc(labels, Math.max(0, value));
    },
  });
}
