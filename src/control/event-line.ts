/**
 * `ringmaster ctl events` for people: one line per event, its time (UTC), its type, what it
 * is about (watcher, wid, pid) and its salient fields as key=value. `--json` prints the
 * events as they came instead; scripts should read that, not this.
 *
 *   2026-12-01T23:07:45.123Z worker.exited web wid=2 pid=318 cause=unexpected reason=signaled signal=SIGKILL
 */
import type { RingmasterEvent, RolloutResult } from '../supervisor/events.js';
import { describe } from '../supervisor/watcher-status.js';
import type { DroppedLine } from './event-stream.js';
import { clean } from './status-table.js';

type Fields = Record<string, string | number | boolean | undefined>;

/** key=value, the value quoted (JSON) when it has spaces or quotes; undefined values left out. */
function kv(fields: Fields): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? clean(v) : String(v);
    out.push(`${k}=${s === '' || /[\s"=]/.test(s) ? JSON.stringify(s) : s}`);
  }
  return out.join(' ');
}

function rollout(r: RolloutResult): Fields {
  switch (r.kind) {
    case 'done':
      return { result: 'done', replaced: r.replaced };
    case 'failed':
      return { result: 'failed', wid: r.wid, pid: r.pid, replaced: r.replaced, kept: r.kept, message: r.message };
    case 'aborted':
      return { result: 'aborted', replaced: r.replaced, message: r.message };
    default: {
      const never: never = r;
      return never;
    }
  }
}

/** The subject and fields of an event, by type. */
function fieldsOf(e: RingmasterEvent): [subject: string, fields: Fields] {
  switch (e.type) {
    case 'worker.spawned':
    case 'worker.ready':
      return [e.watcher, { wid: e.wid, pid: e.pid }];
    case 'worker.unready':
      return [e.watcher, { wid: e.wid, pid: e.pid, why: e.why, check: e.check }];
    case 'worker.exited':
      return [e.watcher, { wid: e.wid, pid: e.pid, cause: e.cause, reason: e.reason, ...describe(e.outcome), message: e.message }];
    case 'worker.respawn_scheduled':
      return [e.watcher, { wid: e.wid, delay: `${Math.round(e.delaySeconds * 1000) / 1000}s` }];
    case 'worker.respawning':
      return [e.watcher, { wid: e.wid }];
    case 'watcher.phase':
      return [e.watcher, { phase: e.phase, from: e.from }];
    case 'watcher.scaled':
      return [e.watcher, { numprocesses: e.numprocesses }];
    case 'watcher.fatal':
      return [e.watcher, { reason: e.reason }];
    case 'rollout.started':
      return [e.watcher, { workers: e.workers, max_surge: e.maxSurge }];
    case 'rollout.step':
      return [e.watcher, { replaced: `${e.replaced}/${e.total}` }];
    case 'rollout.result':
      return [e.watcher, rollout(e.result)];
    case 'reload.result':
      if (!e.ok) return ['', { ok: false, code: e.code, error: e.error }];
      return ['', { ok: true, changed: e.changed, summary: e.summary, kept_old: e.keptOld.length > 0 ? e.keptOld.join(',') : undefined }];
    case 'signal.forwarded':
      return ['', { signal: e.signal, workers: e.workers }];
    case 'worker.completed':
      return [e.watcher, { wid: e.wid, pid: e.pid, code: e.code }];
    case 'deps.waiting':
      return [e.name, { kind: e.kind, on: e.on.join(',') || undefined }];
    case 'task.started':
      return [e.task, { attempt: e.attempt, pid: e.pid, scheduled: e.scheduled || undefined }];
    case 'task.finished':
      return [e.task, { attempt: e.attempt, result: e.result.kind, status: e.result.status, signal: e.result.signal, duration: `${Math.round(e.result.durationMs) / 1000}s`, retry_in: e.retryIn }];
    case 'task.skipped':
      return [e.task, { reason: e.reason }];
    case 'worker.recycle':
      return [e.watcher, { wid: e.wid, pid: e.pid, reason: e.reason, rss: e.rssBytes, limit: e.limitBytes, replacement: e.replacementPid }];
    case 'orphan.reaped':
      return ['', { pid: e.pid, code: e.code, signal: e.signal, status: e.code === undefined && e.signal === undefined ? e.status : undefined }];
    default: {
      const never: never = e;
      return never;
    }
  }
}

// A Record, so that an event type added to events.ts and not here fails to compile.
const KNOWN_TYPES: Record<RingmasterEvent['type'], true> = {
  'worker.spawned': true,
  'worker.ready': true,
  'worker.unready': true,
  'worker.exited': true,
  'worker.respawn_scheduled': true,
  'worker.respawning': true,
  'watcher.phase': true,
  'watcher.scaled': true,
  'watcher.fatal': true,
  'rollout.started': true,
  'rollout.step': true,
  'rollout.result': true,
  'reload.result': true,
  'signal.forwarded': true,
  'worker.completed': true,
  'deps.waiting': true,
  'task.started': true,
  'task.finished': true,
  'task.skipped': true,
  'orphan.reaped': true,
  'worker.recycle': true,
};
const KNOWN = new Set<string>(Object.keys(KNOWN_TYPES));

/**
 * One line (with its newline) for a line of an events stream: an event of the init, the
 * stream's own events.dropped, or a type this ctl does not know (a newer init), shown as
 * its fields.
 */
export function formatEventLine(e: Record<string, unknown>): string {
  const time = typeof e['time'] === 'number' ? new Date(e['time']).toISOString() : '-';
  const type = String(e['type']);
  let subject = '';
  let fields: Fields;
  if (type === 'events.dropped') {
    fields = { dropped: (e as unknown as DroppedLine).dropped };
    subject = '(this reader was too slow)';
  } else if (KNOWN.has(type)) {
    [subject, fields] = fieldsOf(e as unknown as RingmasterEvent);
  } else {
    fields = {};
    for (const [k, v] of Object.entries(e)) if (k !== 'type' && k !== 'time' && k !== 'seq') fields[k] = typeof v === 'object' ? JSON.stringify(v) : (v as Fields[string]);
  }
  return `${[time, type, subject, kv(fields)].filter((p) => p !== '').join(' ')}\n`;
}
