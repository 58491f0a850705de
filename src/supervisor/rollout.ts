/**
 * A rolling restart: replace every worker of a watcher, `maxSurge` at a time. For each
 * batch, new workers start on probation beside the old ones (which keep serving, but give
 * their wids to their replacements); once all of the batch are ready the old ones retire,
 * and the next batch begins.
 *
 *   rolling --batch ready--> rolling (next batch) ... --last batch--> done
 *      |
 *      +--a new worker not ready in time, or exited: the batch's new ones retire--> failed
 *      +--the watcher stopped (its signal aborted) meanwhile--> aborted
 *
 * One batch is replaceBatch, which max_memory also uses for a single worker (replaceWorker).
 * It returns the outcome as data (events.ts RolloutResult) and emits rollout.started,
 * rollout.step (after each batch) and rollout.result. Rolling the watcher's config back
 * after a failure is the watcher's (Watcher.reconfigure).
 */
import type { EventInput, RolloutResult } from './events.js';
import { assertNever } from './process.js';
import type { WatcherStatus } from './watcher-status.js';
import type { Worker } from './worker.js';

/** What a rollout needs from its watcher. */
export interface RolloutPool {
  readonly name: string;
  /** the readiness check's kind, for the messages */
  readonly check: string;
  /** the workers serving now (not retiring), by wid */
  serving(): Worker[];
  /** a new worker for `wid`, on probation */
  candidate(wid: number): Worker;
  emit(event: EventInput): void;
}

/** Resolves with `p`, or undefined as soon as `signal` is aborted. */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then((v) => {
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    });
  });
}

/** How one batch of replacements ended (replaceBatch). */
export type BatchResult = { kind: 'done' } | { kind: 'aborted' } | { kind: 'failed'; bad: Worker };

/**
 * Replace the workers of `batch` (old, serving) by new ones on probation, all at once:
 * the old ones give their wids to the new ones but keep serving; once every new one is
 * ready (`ready` is told each pair) the old ones retire gracefully. If one is not ready in
 * time, or exits, or `signal` is aborted, the new ones retire and the old ones keep their
 * wids. The one replacement machinery of rollouts and of max_memory (replaceWorker).
 */
export async function replaceBatch(
  pool: Pick<RolloutPool, 'candidate'>,
  batch: readonly Worker[],
  signal: AbortSignal,
  ready?: (old: Worker, fresh: Worker) => void,
): Promise<BatchResult> {
  if (signal.aborted) return { kind: 'aborted' };
  const fresh = batch.map((w) => {
    // the old worker keeps serving until its replacement is ready; the pool must not refill its wid
    w.role = 'outgoing';
    return pool.candidate(w.wid);
  });
  const ok = await unlessAborted(Promise.all(fresh.map((w) => w.whenReady())), signal);
  if (ok === undefined || signal.aborted || ok.includes(false)) {
    for (const w of batch) w.role = 'member';
    await Promise.all(fresh.map((w) => w.retire('rollout')));
    return ok === undefined || signal.aborted ? { kind: 'aborted' } : { kind: 'failed', bad: fresh[ok.indexOf(false)] as Worker };
  }
  for (const w of fresh) w.role = 'member';
  batch.forEach((w, i) => ready?.(w, fresh[i] as Worker));
  await Promise.all(batch.map((w) => w.retire('rollout')));
  return { kind: 'done' };
}

/**
 * Replace one worker the way a rolling restart does (its replacement first, ready, then
 * it is stopped gracefully): what max_memory does with a worker over its limit.
 */
export function replaceWorker(pool: Pick<RolloutPool, 'candidate'>, worker: Worker, signal: AbortSignal, ready?: (old: Worker, fresh: Worker) => void): Promise<BatchResult> {
  return replaceBatch(pool, [worker], signal, ready);
}

export async function rollout(pool: RolloutPool, maxSurge: number, signal: AbortSignal): Promise<RolloutResult> {
  const surge = Math.max(1, Math.floor(maxSurge));
  const old = pool.serving();
  pool.emit({ type: 'rollout.started', watcher: pool.name, workers: old.length, maxSurge: surge });
  let replaced = 0;
  const finish = (result: RolloutResult): RolloutResult => {
    pool.emit({ type: 'rollout.result', watcher: pool.name, result });
    return result;
  };
  const aborted = (): RolloutResult =>
    finish({ kind: 'aborted', message: `the watcher stopped after ${replaced} of ${old.length} workers were replaced`, replaced });
  for (let i = 0; i < old.length; i += surge) {
    const batch = old.slice(i, i + surge);
    const r = await replaceBatch(pool, batch, signal);
    switch (r.kind) {
      case 'aborted':
        return aborted();
      case 'failed': {
        const kept = old.length - i;
        const message = `new worker ${r.bad.wid} (pid ${r.bad.pid}) did not become ready (${pool.check}); ${kept} old workers kept`;
        return finish({ kind: 'failed', wid: r.bad.wid, pid: r.bad.pid, message, replaced, kept });
      }
      case 'done':
        break;
      default:
        return assertNever(r);
    }
    replaced += batch.length;
    pool.emit({ type: 'rollout.step', watcher: pool.name, replaced, total: old.length });
  }
  return finish({ kind: 'done', replaced });
}

/** How a watcher's status shows a rollout's end. */
export function rolloutStatus(result: RolloutResult, at: number): NonNullable<WatcherStatus['rollout']> {
  switch (result.kind) {
    case 'done':
      return { state: 'done', message: `replaced ${result.replaced} workers`, at };
    case 'failed':
    case 'aborted':
      return { state: 'failed', message: result.message, at };
    default:
      return assertNever(result);
  }
}

/**
 * A "rolling" restart of a watcher that serves nothing (stopped, FATAL): its workers are
 * started (by the caller); from FATAL, the result says whether they all got ready.
 */
export async function readyAfterStart(workers: readonly Worker[], wait: boolean, check: string): Promise<RolloutResult> {
  const ok = wait ? await Promise.all(workers.map((w) => w.whenReady())) : [];
  const bad = workers[ok.indexOf(false)];
  if (!bad) return { kind: 'done', replaced: 0 };
  const message = `worker ${bad.wid} (pid ${bad.pid}) did not become ready (${check})`;
  return { kind: 'failed', wid: bad.wid, pid: bad.pid, message, replaced: 0, kept: 0 };
}
