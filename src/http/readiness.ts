/**
 * The /readyz and /livez decisions, pure functions of the snapshot.
 *
 * Ready (200) when the init runs (phase 'running') and every watcher that should serve
 * has its desired number of ready workers. A watcher should serve when it runs with
 * desired > 0; a fatal one with desired > 0 should too, and fails the check (it gave up).
 * A watcher stopped or being stopped on purpose (`ctl stop`) does not count. A completed
 * slot (its worker exited with a success code under `respawn: on-failure` or `never`) is
 * not missing: it is taken off the desired count, and a watcher whose slots all completed
 * (phase `completed`) does not count.
 *
 * With a main command (`ringmaster -c FILE -- CMD`), ready also needs it running: not while
 * it waits for its sidecars, nor once it has exited (ringmaster then shuts down).
 *
 * Not ready either while a start task has not succeeded (pending, waiting for its
 * depends_on, running, retrying: each named with its state) or a watcher waits for its
 * depends_on (named with what it waits for).
 *
 * A failed rolling restart alone does not fail the check: the old workers keep serving,
 * and taking every pod out of its Service because a rollout failed everywhere would turn
 * a bad deploy into an outage. It is named in the body (warnings on 200, the reason on 503).
 *
 * Alive (/livez 200) unless a watcher that should serve can no longer get there by itself,
 * because a failing liveness probe restarts the container: a FATAL watcher gave up, and
 * only a restart (or `ctl start`) brings it back; a watcher that cannot start workers for
 * want of a resource (EMFILE...) keeps retrying and may recover when the shortage passes,
 * so it fails liveness only once that has lasted SHORTAGE_LIVENESS_MS. While the init is
 * starting or shutting down, /livez says only that the event loop turns.
 */
import type { InitPhase, InitSnapshot } from '../lifecycle/api.js';
import type { TaskStatus } from '../supervisor/task-tally.js';
import type { WatcherStatus } from '../supervisor/watcher.js';
import { readyNeeded } from '../supervisor/watcher-status.js';

export interface NotReady {
  /** the watcher at fault; absent when it is the whole init (starting, shutting down) */
  watcher?: string;
  /** the start task not done yet */
  task?: string;
  reason: string;
}

export interface ReadinessBody {
  status: 'ready' | 'not ready';
  phase: InitPhase;
  /** ready/desired of each watcher that should serve; `completed`: its completed slots, when it has some */
  watchers: Record<string, { ready: number; desired: number; completed?: number }>;
  /** the main command, when there is one: its state and pid */
  main?: { state: string; pid?: number };
  /** why not ready (503 only) */
  reasons?: NotReady[];
  /** worth knowing, not a reason for 503: failed rollouts */
  warnings?: NotReady[];
}

function phaseReason(phase: InitPhase): string | undefined {
  switch (phase) {
    case 'running':
      return undefined;
    case 'starting':
      return 'starting';
    case 'draining':
    case 'stopping':
    case 'closing':
    case 'done':
      return `shutting down (${phase})`;
    default: {
      const never: never = phase;
      return `unknown phase ${String(never)}`;
    }
  }
}

function shouldServe(w: WatcherStatus): boolean {
  return w.desired > 0 && (w.phase === 'running' || w.phase === 'fatal');
}

function fatalReason(w: WatcherStatus): string {
  return `FATAL: ${w.fatalReason ?? 'gave up restarting its workers'}`;
}

function shortageReason(s: NonNullable<WatcherStatus['shortage']>): string {
  return `cannot start workers: ${s.error} (out of a system resource), retrying since ${new Date(s.since).toISOString()} (${s.tries} tries)`;
}

function watcherReason(w: WatcherStatus): string | undefined {
  if (w.phase === 'fatal') return fatalReason(w);
  if (w.ready >= readyNeeded(w)) return undefined;
  let why = `not enough ready workers: ${w.ready} of ${readyNeeded(w)}`;
  if (w.completed) why += ` (${w.completed.length} more completed)`;
  if (w.shortage) why += `; ${shortageReason(w.shortage)}`;
  return w.rollout?.state === 'failed' ? `${why}; rollout failed: ${w.rollout.message}` : why;
}

function mainReason(m: NonNullable<InitSnapshot['main']>): string | undefined {
  switch (m.state) {
    case 'running':
      return undefined;
    case 'waiting':
      return `main command not started yet: waiting for ${m.waitingFor?.length ? m.waitingFor.join(', ') : 'the start'}`;
    case 'exited':
      return `main command ${m.reason ?? 'exited'}`;
    case 'skipped':
      return `main command not started: ${m.reason ?? 'ringmaster is shutting down'}`;
    default: {
      const never: never = m.state;
      return `unknown main command state ${String(never)}`;
    }
  }
}

/** Why a start task keeps the init from being ready, undefined once it succeeded. */
function taskReason(t: TaskStatus): string | undefined {
  switch (t.state) {
    case 'succeeded':
      return undefined;
    case 'pending':
      return 'start task not run yet';
    case 'waiting':
      return `start task waiting for its dependencies: ${(t.waitingFor ?? []).join(', ')}`;
    case 'running':
      return `start task running (attempt ${t.attempt ?? 1})`;
    case 'retrying':
      return `start task failed (status ${t.lastRun?.status ?? '?'}), retrying`;
    case 'failed':
      return `start task failed (status ${t.lastRun?.status ?? '?'})`;
    default: {
      const never: never = t.state;
      return `unknown state ${String(never)}`;
    }
  }
}

/** 200 (`ok`) or 503, and a JSON body saying which watcher is not ready and why. */
export function readiness(s: InitSnapshot): { ok: boolean; body: ReadinessBody } {
  const reasons: NotReady[] = [];
  const warnings: NotReady[] = [];
  const watchers: ReadinessBody['watchers'] = {};
  const phase = phaseReason(s.phase);
  if (phase) reasons.push({ reason: phase });
  const main = s.main && mainReason(s.main);
  if (main) reasons.push({ reason: main });
  for (const t of s.tasks ?? []) {
    const reason = t.when === 'start' ? taskReason(t) : undefined;
    if (reason) reasons.push({ task: t.name, reason });
  }
  for (const w of s.watchers) {
    if (w.phase === 'waiting' && w.desired > 0) {
      watchers[w.name] = { ready: w.ready, desired: w.desired };
      reasons.push({ watcher: w.name, reason: `waiting for its dependencies: ${(w.waitingFor ?? []).join(', ')}` });
      continue;
    }
    if (!shouldServe(w)) continue;
    watchers[w.name] = { ready: w.ready, desired: w.desired, ...(w.completed ? { completed: w.completed.length } : {}) };
    const reason = watcherReason(w);
    if (reason) reasons.push({ watcher: w.name, reason });
    else if (w.rollout?.state === 'failed') warnings.push({ watcher: w.name, reason: `rollout failed: ${w.rollout.message}` });
  }
  const ok = reasons.length === 0;
  const body: ReadinessBody = { status: ok ? 'ready' : 'not ready', phase: s.phase, watchers };
  if (s.main) body.main = { state: s.main.state, ...(s.main.pid === undefined ? {} : { pid: s.main.pid }) };
  if (!ok) body.reasons = reasons;
  if (warnings.length > 0) body.warnings = warnings;
  return { ok, body };
}

/** How long a watcher may fail to start workers for want of a resource before /livez fails: 5 minutes. */
export const SHORTAGE_LIVENESS_MS = 300_000;

/**
 * 200 (`ok`) or 503. The text body has one line per watcher that cannot reach its desired
 * count by itself (503) or is retrying after resource errors (named on 200 as well).
 */
export function liveness(s: InitSnapshot, now: number = Date.now()): { ok: boolean; body: string } {
  const dead: string[] = [];
  const retrying: string[] = [];
  if (s.phase === 'running') {
    for (const w of s.watchers) {
      if (!shouldServe(w)) continue;
      if (w.phase === 'fatal') dead.push(`watcher ${w.name}: ${fatalReason(w)}`);
      else if (w.shortage) {
        const line = `watcher ${w.name}: ${w.running} of ${w.desired} workers, ${shortageReason(w.shortage)}`;
        (now - w.shortage.since >= SHORTAGE_LIVENESS_MS ? dead : retrying).push(line);
      }
    }
  }
  const ok = dead.length === 0;
  return { ok, body: [ok ? 'ok' : 'not alive', ...dead, ...retrying].join('\n') + '\n' };
}
