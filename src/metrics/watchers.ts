/** Per-watcher metrics: worker counts, phase, restarts and exits, and the workers' CPU and memory. */
import type { Registry } from 'prom-client';
import type { ExitReason, WatcherPhase, WatcherStatus } from '../supervisor/watcher.js';
import type { RestartReason } from '../supervisor/events.js';
import { counter, gauge, type Sample } from './define.js';
import type { Scrape } from './scrape.js';

/** Every watcher phase, as the `state` label of ringmaster_watcher_state (a Record so a new phase fails to compile until listed). */
const PHASES = Object.keys({ stopped: 0, waiting: 0, running: 0, stopping: 0, completed: 0, fatal: 0 } satisfies Record<WatcherPhase, 0>) as WatcherPhase[];

/** Every restart reason, as the `reason` label of ringmaster_process_restarts_total (a Record so a new one fails to compile until listed). */
const RESTART_REASONS = Object.keys({ exit: 0, memory: 0 } satisfies Record<RestartReason, 0>) as RestartReason[];

export function watcherMetrics(registry: Registry, scrape: () => Scrape): void {
  const each = (value: (w: WatcherStatus) => number) =>
    function* (): Iterable<Sample<'watcher'>> {
      for (const w of scrape().snap.watchers) yield [{ watcher: w.name }, value(w)];
    };
  const usage = (value: (u: { cpuSeconds: number; residentBytes: number }) => number) =>
    function* (): Iterable<Sample<'watcher'>> {
      for (const [watcher, u] of scrape().usage()) yield [{ watcher }, value(u)];
    };
  const watcher = ['watcher'] as const;

  gauge(registry, {
    name: 'ringmaster_watcher_processes',
    help: 'Worker processes of the watcher that are running.',
    labelNames: watcher,
    samples: each((w) => w.running),
  });
  gauge(registry, {
    name: 'ringmaster_watcher_desired_processes',
    help: 'Worker processes the watcher should run (numprocesses, as scaled).',
    labelNames: watcher,
    samples: each((w) => w.desired),
  });
  gauge(registry, {
    name: 'ringmaster_watcher_ready_processes',
    help: 'Running worker processes of the watcher that passed their readiness check.',
    labelNames: watcher,
    samples: each((w) => w.ready),
  });
  gauge(registry, {
    name: 'ringmaster_watcher_completed_processes',
    help: 'Worker slots of the watcher that completed: their worker exited with a success code under respawn on-failure or never, and is not restarted.',
    labelNames: watcher,
    samples: each((w) => w.completed?.length ?? 0),
  });
  gauge(registry, {
    name: 'ringmaster_watcher_state',
    help: 'Phase of the watcher: 1 for the current state, 0 for the others.',
    labelNames: ['watcher', 'state'] as const,
    *samples() {
      for (const w of scrape().snap.watchers) for (const state of PHASES) yield [{ watcher: w.name, state }, w.phase === state ? 1 : 0];
    },
  });
  counter(registry, {
    name: 'ringmaster_process_restarts_total',
    help: 'Worker processes the watcher started again, by reason (exit: respawned after an exit it did not ask for; memory: replaced for max_memory).',
    labelNames: ['watcher', 'reason'] as const,
    *samples() {
      for (const w of scrape().snap.watchers) {
        const by = w.restartsByReason ?? { exit: w.restarts, memory: 0 };
        for (const reason of RESTART_REASONS) yield [{ watcher: w.name, reason }, by[reason]];
      }
    },
  });
  counter(registry, {
    name: 'ringmaster_process_exits_total',
    help: 'Worker process exits, by reason (exited: code 0, failed: code > 0, signaled, oom: SIGKILL by the kernel OOM killer, spawn_failed, stopped: asked to stop).',
    labelNames: ['watcher', 'reason'] as const,
    *samples() {
      for (const w of scrape().snap.watchers)
        for (const [reason, n] of Object.entries(w.exits) as Array<[ExitReason, number]>) yield [{ watcher: w.name, reason }, n];
    },
  });
  counter(registry, {
    name: 'ringmaster_watcher_resource_retries_total',
    help: 'Worker spawns that failed for want of a resource (EMFILE, ENFILE, EAGAIN, ENOMEM) and were retried without counting toward max_retry.',
    labelNames: watcher,
    samples: each((w) => w.resourceRetries ?? 0),
  });
  counter(registry, {
    name: 'ringmaster_notify_rejected_total',
    help: 'Notify messages (READY=1, WATCHDOG=1, ...) dropped because their sender was not a worker of the watcher or one of its descendants.',
    labelNames: watcher,
    samples: each((w) => w.notifyRejected),
  });
  counter(registry, {
    name: 'ringmaster_watcher_cpu_seconds_total',
    help: 'User and system CPU time of the watcher\'s worker processes, exited ones included (as last seen by a scrape).',
    labelNames: watcher,
    samples: usage((u) => u.cpuSeconds),
  });
  gauge(registry, {
    name: 'ringmaster_watcher_resident_memory_bytes',
    help: 'Resident memory of the watcher\'s running worker processes, summed.',
    labelNames: watcher,
    samples: usage((u) => u.residentBytes),
  });
}
