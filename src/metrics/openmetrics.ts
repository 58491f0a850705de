/**
 * /metrics in the OpenMetrics text format, for the scrapers that ask for it (Prometheus
 * does, in its Accept header, before the 0.0.4 text format). prom-client writes it: each
 * counter's family is named without `_total` and its samples with it, families are not
 * separated by blank lines, and the exposition ends with `# EOF`.
 *
 * It gets a registry of its own (the same collectors, made a second time, on the first
 * OpenMetrics scrape): prom-client renames a counter in place when it writes OpenMetrics,
 * so a registry shared with the text format would lose `_total` there. The collectors read
 * the snapshot and /proc at scrape time, so the two never disagree.
 */
import type { RegistryContentType } from 'prom-client';
import { Registry } from './prom.js';
import type { Metrics } from './index.js';

/** What OpenMetrics wants escaped in a HELP text and prom-client leaves as it is: `"`. */
function escapeHelpQuotes(text: string): string {
  if (!text.includes('"')) return text;
  return text.replace(/^(# HELP \S+ )(.*)$/gm, (_all, head: string, help: string) => head + help.replace(/(\\*)"/g, (q: string, bs: string) => (bs.length % 2 === 0 ? `${bs}\\"` : q)));
}

/** `m`, rendering OpenMetrics from now on (its registry's content type is changed). */
export function asOpenMetrics(m: Metrics): Metrics {
  // the registry's type fixes its content type at creation; prom-client switches it at run time
  (m.registry as unknown as Registry<RegistryContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return {
    registry: m.registry,
    contentType: Registry.OPENMETRICS_CONTENT_TYPE,
    render: async () => escapeHelpQuotes(await m.registry.metrics()),
  };
}
