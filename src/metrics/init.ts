/** What the init itself did: reaping, signal forwarding, config reloads, and its version. */
import type { Registry } from 'prom-client';
import { counter, gauge } from './define.js';
import type { Scrape } from './scrape.js';

export function initMetrics(registry: Registry, scrape: () => Scrape): void {
  gauge(registry, {
    name: 'ringmaster_info',
    help: 'Always 1; the version label says which ringmaster runs.',
    labelNames: ['version'] as const,
    samples: () => [[{ version: scrape().snap.version }, 1]],
  });
  counter(registry, {
    name: 'ringmaster_zombies_reaped_total',
    help: 'Orphaned processes the init reaped (not its own workers).',
    labelNames: [],
    samples: () => [[{}, scrape().snap.zombiesReaped]],
  });
  counter(registry, {
    name: 'ringmaster_signals_forwarded_total',
    help: 'Signals the init received and passed on to its workers, by signal name.',
    labelNames: ['signal'] as const,
    samples: () => Object.entries(scrape().snap.signalsForwarded).map(([signal, n]) => [{ signal }, n] as const),
  });
  counter(registry, {
    name: 'ringmaster_config_reloads_total',
    help: 'Configuration reloads, by result (success, failure: nothing changed).',
    labelNames: ['result'] as const,
    samples: () => {
      const r = scrape().snap.reloads;
      return [
        [{ result: 'success' }, r.success],
        [{ result: 'failure' }, r.failure],
      ];
    },
  });
  gauge(registry, {
    name: 'ringmaster_config_last_reload_success_timestamp_seconds',
    help: 'When the configuration was last loaded successfully (at start or by a reload), seconds since the epoch.',
    labelNames: [],
    samples: () => [[{}, scrape().snap.reloads.lastSuccessAt / 1000]],
  });
}
