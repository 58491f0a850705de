/**
 * The core's events as ringmaster's log lines: one place that decides what a person reads
 * for each event (the text the README and the tests know).
 */
import type { RingmasterEvent } from '../supervisor/events.js';
import { describe } from '../supervisor/watcher-status.js';
import { assertNever } from '../supervisor/process.js';
import type { Logger } from './logger.js';

export function renderEvent(log: Logger, e: RingmasterEvent): void {
  switch (e.type) {
    case 'worker.spawned':
      log.info('worker started', { watcher: e.watcher, wid: e.wid, pid: e.pid });
      return;
    case 'worker.ready':
      log.info('worker ready', { watcher: e.watcher, wid: e.wid, pid: e.pid });
      return;
    case 'worker.unready':
      if (e.why === 'stopping') log.info('worker is stopping', { watcher: e.watcher, wid: e.wid, pid: e.pid });
      else log.warn('worker did not become ready in time', { watcher: e.watcher, wid: e.wid, pid: e.pid, check: e.check });
      return;
    case 'worker.exited': {
      // reason=oom only: the other reasons say no more than the code or signal already does
      const fields = { watcher: e.watcher, wid: e.wid, pid: e.pid, ...describe(e.outcome), ...(e.reason === 'oom' ? { reason: e.reason } : {}) };
      switch (e.cause) {
        case 'stopped':
          log.info('worker stopped', fields);
          return;
        case 'rollout':
          log.warn('new worker of a rolling restart exited', fields);
          return;
        case 'shortage':
          // the watcher says when a shortage begins and ends, not at every try
          return;
        case 'unexpected':
          if (e.outcome.kind === 'spawn-failed') log.error(`worker could not be started: ${e.message ?? e.outcome.message}`, { watcher: e.watcher, wid: e.wid, command: e.command });
          else if (e.reason === 'oom') log.warn("worker exited: killed by the kernel's OOM killer (its cgroup reached its memory limit)", fields);
          else log.warn('worker exited', fields);
          return;
        default:
          return assertNever(e.cause);
      }
    }
    case 'worker.respawn_scheduled':
      if (e.delaySeconds > 0) log.info('respawning after backoff', { watcher: e.watcher, wid: e.wid, delay_seconds: Math.round(e.delaySeconds * 1000) / 1000 });
      return;
    case 'worker.respawning':
      log.debug('respawning', { watcher: e.watcher, wid: e.wid });
      return;
    case 'watcher.phase':
      log.debug('watcher phase', { watcher: e.watcher, phase: e.phase, from: e.from });
      return;
    case 'watcher.scaled':
      log.info('scaled', { watcher: e.watcher, numprocesses: e.numprocesses });
      return;
    case 'watcher.fatal':
      log.error('watcher is FATAL: not respawning', { watcher: e.watcher, reason: e.reason });
      return;
    case 'rollout.started':
      log.info('rolling restart', { watcher: e.watcher, workers: e.workers, max_surge: e.maxSurge });
      return;
    case 'rollout.step':
      log.debug('rolling restart step', { watcher: e.watcher, replaced: e.replaced, total: e.total });
      return;
    case 'rollout.result': {
      const r = e.result;
      switch (r.kind) {
        case 'done':
          log.info('rolling restart done', { watcher: e.watcher, workers: r.replaced });
          return;
        case 'failed':
          log.error(`rolling restart stopped: ${r.message}`, { watcher: e.watcher });
          return;
        case 'aborted':
          log.warn(`rolling restart aborted: ${r.message}`, { watcher: e.watcher, replaced: r.replaced });
          return;
        default:
          return assertNever(r);
      }
    }
    case 'reload.result':
      if (!e.ok) log.error(`reload failed, the running configuration is unchanged: ${e.error}`, { code: e.code });
      else if (!e.changed) log.info('reload: no change');
      else if (e.keptOld.length > 0) log.warn('reload done in part', { summary: e.summary, kept_old: e.keptOld.join(', ') });
      else log.info('reload done', { summary: e.summary });
      return;
    case 'signal.forwarded':
      log.debug('forwarded signal', { signal: e.signal, workers: e.workers });
      return;
    case 'worker.completed':
      log.info('worker completed', { watcher: e.watcher, wid: e.wid, pid: e.pid, code: e.code });
      return;
    case 'deps.waiting':
      if (e.on.length > 0) log.info(`${e.kind} waits for its dependencies`, { [e.kind]: e.name, waiting_for: e.on.join(', ') });
      else log.debug(`${e.kind} dependencies met`, { [e.kind]: e.name });
      return;
    case 'task.started':
      log.info('task started', { task: e.task, attempt: e.attempt, pid: e.pid, scheduled: e.scheduled || undefined });
      return;
    case 'task.finished': {
      const r = e.result;
      const fields = { task: e.task, attempt: e.attempt, status: r.status, signal: r.signal, duration_seconds: Math.round(r.durationMs) / 1000 };
      if (r.kind === 'success') log.info('task succeeded', fields);
      else {
        const why = r.kind === 'timeout' || r.kind === 'spawn-failed' ? `: ${r.message ?? r.kind}` : '';
        const tail = r.tail.length > 0 ? `; its last output:\n  ${r.tail.join('\n  ')}` : '';
        const retry = e.retryIn !== undefined ? { retry_in_seconds: Math.round(e.retryIn * 1000) / 1000 } : {};
        log.error(`task failed${why}${tail}`, { ...fields, ...retry });
      }
      return;
    }
    case 'task.skipped':
      log.warn('scheduled task run skipped: the previous run is still going', { task: e.task });
      return;
    case 'worker.recycle':
      log.warn(`worker above max_memory for two checks in a row: replaced (its replacement is ready, it stops now)`, {
        watcher: e.watcher,
        wid: e.wid,
        pid: e.pid,
        reason: e.reason,
        rss_bytes: e.rssBytes,
        max_memory_bytes: e.limitBytes,
        replacement_pid: e.replacementPid,
      });
      return;
    case 'orphan.reaped':
      log.trace('orphan reaped', { pid: e.pid, status: e.status });
      return;
    default:
      return assertNever(e);
  }
}
