/**
 * `ringmaster ctl status` for people: the init, then a table of watchers with a line per
 * worker under each, the sockets, and the reloads. `--json` prints the snapshot instead;
 * scripts should read that, not this.
 */
import { formatBytes } from '../config/memory-size.js';
import type { InitSnapshot } from '../lifecycle/api.js';
import type { TaskStatus } from '../supervisor/task-tally.js';
import type { WatcherStatus, WorkerStatus } from '../supervisor/watcher.js';

/** 45s, 3m07s, 2h03m, 4d02h */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

/**
 * Text a worker chose (STATUS=) or an error message, made safe to print: a worker must not
 * be able to send escape sequences to the terminal of whoever runs `ctl status`.
 */
export function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Columns padded to their widest cell, the last one not padded. */
function table(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/**
 * The LAST EXIT column. A worker ringmaster stopped on purpose (stop, scale down, a rolling
 * restart retiring it, shutdown) is `stopped`, with how it ended in parentheses: the stop
 * signal ending it is what was asked for, not a crash.
 */
function lastExit(w: WatcherStatus, now: number): string {
  const e = w.lastExit;
  if (!e) return '-';
  const o = e.outcome;
  const stopped = e.reason === 'stopped';
  let what: string;
  switch (o.kind) {
    case 'exited':
      what = stopped ? `stopped (exit ${o.code})` : `exited ${o.code}`;
      break;
    case 'signaled':
      what =
        stopped ? `stopped (${o.signal})`
        : e.reason === 'oom' ? `killed by the OOM killer (${o.signal})`
        : `killed by ${o.signal}`;
      break;
    case 'spawn-failed':
      what = `did not start (${o.code})`;
      break;
    default: {
      const never: never = o;
      what = String(never);
    }
  }
  return `wid ${e.wid} ${what}, ${formatDuration(now - e.at)} ago`;
}

/** The last restart, when it was a max_memory replacement or the watcher has max_memory (else RESTARTS and LAST EXIT say it). */
function lastRestart(w: WatcherStatus, now: number): string | undefined {
  const r = w.lastRestart;
  if (!r || (r.reason === 'exit' && w.maxMemory === undefined)) return undefined;
  const ago = `${formatDuration(now - r.at)} ago`;
  switch (r.reason) {
    case 'exit':
      return `wid ${r.wid} respawned after an exit, ${ago}`;
    case 'memory': {
      const seen = r.rssBytes === undefined || r.limitBytes === undefined ? '' : ` (RSS ${formatBytes(r.rssBytes)} > ${formatBytes(r.limitBytes)})`;
      return `wid ${r.wid} replaced for max_memory${seen}, ${ago}; ${w.restartsByReason?.memory ?? 0} so far`;
    }
    default: {
      const never: never = r.reason;
      return String(never);
    }
  }
}

function readyText(p: WorkerStatus): string {
  if (p.ready) return 'yes';
  return p.readyFailed ? 'timed out' : 'no';
}

function workerRows(w: WatcherStatus, now: number): string[][] {
  const rows = [['WID', 'PID', 'STATE', 'UPTIME', 'READY', 'STATUS']];
  for (const p of w.workers) {
    rows.push([
      String(p.wid),
      p.pid === undefined ? '-' : String(p.pid),
      p.state,
      p.pid === undefined ? '-' : formatDuration(now - p.startedAt),
      readyText(p),
      p.statusText === undefined ? '' : clean(p.statusText),
    ]);
  }
  return rows;
}

function mainLine(m: NonNullable<InitSnapshot['main']>, now: number): string {
  const cmd = clean(m.command.join(' '));
  switch (m.state) {
    case 'waiting':
      return `main: ${cmd}: waiting for ${m.waitingFor?.length ? m.waitingFor.join(', ') : 'the start'}`;
    case 'running':
      return `main: ${cmd}: pid ${m.pid ?? '-'}, running, up ${formatDuration(now - (m.startedAt ?? now))}`;
    case 'exited':
      return `main: ${cmd}: ${clean(m.reason ?? 'exited')} (exit status ${m.exitCode ?? '-'})`;
    case 'skipped':
      return `main: ${cmd}: not started (${clean(m.reason ?? 'shut down first')})`;
    default: {
      const never: never = m.state;
      return `main: ${String(never)}`;
    }
  }
}

/** What a waited-for name is up to: `db (not started: autostart is false; ctl start db)`. */
function dependency(s: InitSnapshot, name: string): string {
  const n = name.toLowerCase();
  const w = s.watchers.find((x) => x.name.toLowerCase() === n);
  if (w) {
    if (w.phase === 'stopped') return `${w.name} (watcher not started: ctl start ${w.name})`;
    if (w.phase === 'running' && w.desired === 0) return `${w.name} (watcher with 0 workers: ctl incr ${w.name})`;
    return `${w.name} (watcher ${w.phase}, ready ${w.ready}/${w.desired})`;
  }
  const t = (s.tasks ?? []).find((x) => x.name.toLowerCase() === n);
  return t ? `${t.name} (task ${t.state})` : `${name} (unknown)`;
}

function lastRun(t: TaskStatus, now: number): string {
  const r = t.lastRun;
  if (!r) return '-';
  const what = r.result === 'success' ? 'succeeded' : r.signal ? `${r.result} (${r.signal}, status ${r.status})` : `${r.result} (status ${r.status})`;
  return `${what} in ${Math.round(r.durationMs) / 1000}s, ${formatDuration(now - r.finishedAt)} ago`;
}

function taskLines(s: InitSnapshot, now: number): string[] {
  const tasks = s.tasks ?? [];
  if (tasks.length === 0) return [];
  const head = ['TASK', 'WHEN', 'STATE', 'RUNS', 'LAST RUN'];
  const rows = tasks.map((t) => [t.name, t.when === 'schedule' ? `schedule ${clean(t.schedule ?? '')}` : t.when, t.state, String(t.runs), lastRun(t, now)]);
  const lines = table([head, ...rows]);
  const out = ['', lines[0] as string];
  tasks.forEach((t, i) => {
    out.push(lines[i + 1] as string);
    if (t.waitingFor !== undefined) out.push(`  waiting for: ${t.waitingFor.map((d) => dependency(s, d)).join(', ')}`);
    if (t.state === 'running' && t.pid !== undefined) out.push(`  pid ${t.pid}, attempt ${t.attempt ?? 1}`);
    if (t.nextRunAt !== undefined) out.push(`  next run: ${new Date(t.nextRunAt).toISOString()} (in ${formatDuration(Math.max(0, t.nextRunAt - now))})`);
    if (t.skipped > 0) out.push(`  skipped runs: ${t.skipped} (the previous run was still going)`);
    if (t.lastRun?.message !== undefined && t.lastRun.result !== 'success') out.push(`  ${clean(t.lastRun.message)}`);
  });
  return out;
}

/** The snapshot as the table `ctl status` prints. @param now ms since epoch, for uptimes */
export function formatStatus(s: InitSnapshot, now: number): string {
  const out: string[] = [];
  out.push(`ringmaster ${s.version}, pid ${s.pid}, ${s.phase}, up ${formatDuration(now - s.startedAt)}`);
  if (s.configFiles.length > 0) out.push(`config: ${s.configFiles.join(', ')}`);
  if (s.main) out.push(mainLine(s.main, now));
  out.push('');

  if (s.watchers.length === 0) out.push('no watchers');
  else {
    const head = ['WATCHER', 'PHASE', 'RUNNING', 'READY', 'RESTARTS', 'LAST EXIT'];
    const rows = s.watchers.map((w) => [w.name, w.phase, `${w.running}/${w.desired}`, `${w.ready}/${w.desired}`, String(w.restarts), lastExit(w, now)]);
    const lines = table([head, ...rows]);
    out.push(lines[0] as string);
    s.watchers.forEach((w, i) => {
      out.push(lines[i + 1] as string);
      if (w.desiredSource !== undefined) out.push(`  numprocesses: ${w.desired} (${clean(w.desiredSource)})`);
      if (w.fatalReason !== undefined) out.push(`  fatal: ${clean(w.fatalReason)}`);
      if (w.completed) out.push(`  completed: ${w.completed.map((c) => `wid ${c.wid} (exit ${c.code}, ${formatDuration(now - c.at)} ago)`).join(', ')}`);
      if (w.waitingFor !== undefined) out.push(`  waiting for: ${w.waitingFor.map((d) => dependency(s, d)).join(', ')}`);
      if (w.maxMemory !== undefined) out.push(`  max_memory: ${formatBytes(w.maxMemory.bytes)}${w.maxMemory.source === undefined ? '' : ` (${clean(w.maxMemory.source)})`}`);
      const restart = lastRestart(w, now);
      if (restart !== undefined) out.push(`  last restart: ${restart}`);
      if (w.exits.oom > 0) out.push(`  OOM kills: ${w.exits.oom} (the kernel's OOM killer, at the cgroup's memory limit)`);
      if (w.rollout && w.rollout.state !== 'done') {
        out.push(`  rollout ${w.rollout.state}: ${clean(w.rollout.message)} (${formatDuration(now - w.rollout.at)} ago)`);
      }
      if (w.workers.length > 0) out.push(...table(workerRows(w, now), '  '));
    });
  }

  out.push(...taskLines(s, now));

  if (s.sockets.length > 0) {
    out.push('');
    out.push(...table([['SOCKET', 'URL'], ...s.sockets.map((k) => [k.name, k.url])]));
  }

  const r = s.reloads;
  out.push('');
  out.push(`reloads: ${r.success} ok, ${r.failure} failed; config in force since ${formatDuration(now - r.lastSuccessAt)} ago`);
  if (r.lastError !== undefined) out.push(`  last reload failed: ${clean(r.lastError)}`);
  return `${out.join('\n')}\n`;
}
