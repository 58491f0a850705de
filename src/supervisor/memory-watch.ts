/**
 * max_memory: every `memory_check_interval` seconds, the resident memory of each serving
 * worker with its descendants (one /proc statm per process: sys/memory.ts); a worker above
 * `max_memory` at two checks in a row is replaced the way a rolling restart replaces one
 * (rollout.ts replaceWorker: its replacement starts first and gets ready, then it stops
 * gracefully), at most `max_surge` at a time. A replacement that does not get ready keeps
 * the old worker; that wid is tried again at a later check, after a backoff that grows
 * with each failure (the watcher's backoff_* policy).
 *
 *   off --arm(): running, max_memory > 0--> armed --interval--> check --> armed
 *    ^                                        |
 *    +--the watcher's run aborted (stop), or max_memory 0 at a check--+
 *
 * Nothing is read and no timer runs while max_memory is 0. The timer hangs off the
 * watcher's run signal: a stop cancels it.
 */
import { treeResidentBytes } from '../sys/memory.js';
import { backoffDelay } from './backoff.js';
import { later } from './edges.js';
import type { RespawnHost } from './respawn.js';
import type { Worker } from './worker.js';

/** Reads a worker's resident memory (the real one: sys/memory.ts; a test passes a fake). */
export interface MemoryReader {
  /** RSS of `pid` and its descendants, bytes; undefined when `pid` is gone */
  residentBytes(pid: number): number | undefined;
}

export const realMemoryReader: MemoryReader = { residentBytes: treeResidentBytes };

/** Checks in a row above the limit before a worker is replaced: one spike is not a leak. */
export const CHECKS_OVER = 2;

/** What the check needs from its watcher: what its respawns see of it (config, log, timers, its run, now, emit), and the below. */
export interface MemoryWatchHost extends Omit<RespawnHost, 'wants' | 'spawn'> {
  reader: MemoryReader;
  /** the workers that serve now: members, not retiring */
  serving(): Worker[];
  /** false while a rolling restart replaces the workers anyway */
  mayReplace(): boolean;
  /** replace `w` (replaceWorker); `ready` is called once its replacement is ready; resolves true when replaced */
  replace(w: Worker, ready: (fresh: Worker) => void): Promise<boolean>;
}

export class MemoryWatch {
  readonly #host: MemoryWatchHost;
  /** the run the timer is armed for */
  #armed: AbortSignal | undefined;
  /** checks in a row above the limit, by Worker.id */
  readonly #over = new Map<number, number>();
  /** wids being replaced */
  readonly #replacing = new Set<number>();
  /** failed replacements in a row by wid, and when the next try may start (ms) */
  readonly #failed = new Map<number, { failures: number; notBefore: number }>();

  constructor(host: MemoryWatchHost) {
    this.#host = host;
  }

  /** Start checking if max_memory is set and the timer is not armed for this run (after start() and a new config). */
  arm(): void {
    const h = this.#host;
    if (h.config.max_memory <= 0 || h.signal.aborted || this.#armed === h.signal) return;
    this.#armed = h.signal;
    this.#over.clear();
    this.#failed.clear();
    this.#next(h.signal);
  }

  #next(signal: AbortSignal): void {
    later(this.#host.timers, this.#host.config.memory_check_interval * 1000, signal, () => {
      if (this.#host.config.max_memory <= 0) {
        this.#armed = undefined;
        return;
      }
      this.check();
      this.#next(signal);
    });
  }

  /** One check of every serving worker (what the timer runs). */
  check(): void {
    const h = this.#host;
    const c = h.config;
    const limit = c.max_memory;
    if (limit <= 0) return;
    const seen = new Set<number>();
    for (const w of h.serving()) {
      if (w.pid === undefined || this.#replacing.has(w.wid)) continue;
      seen.add(w.id);
      const rss = h.reader.residentBytes(w.pid);
      if (rss === undefined || rss <= limit) {
        this.#over.delete(w.id);
        continue;
      }
      const n = (this.#over.get(w.id) ?? 0) + 1;
      this.#over.set(w.id, n);
      if (n >= CHECKS_OVER && this.#mayStart(w.wid)) this.#replace(w, rss, limit);
    }
    for (const id of this.#over.keys()) if (!seen.has(id)) this.#over.delete(id);
  }

  #mayStart(wid: number): boolean {
    const h = this.#host;
    if (!h.mayReplace() || this.#replacing.size >= Math.max(1, h.config.max_surge)) return false;
    const f = this.#failed.get(wid);
    return f === undefined || h.now() >= f.notBefore;
  }

  #replace(w: Worker, rss: number, limit: number): void {
    const h = this.#host;
    const c = h.config;
    const wid = w.wid;
    this.#replacing.add(wid);
    h.log.info('worker above max_memory for two checks in a row: starting its replacement', { watcher: c.name, wid, pid: w.pid, rss_bytes: rss, max_memory_bytes: limit });
    const ready = (fresh: Worker): void =>
      h.emit({ type: 'worker.recycle', watcher: c.name, wid, pid: w.pid, reason: 'memory', rssBytes: rss, limitBytes: limit, replacementPid: fresh.pid });
    void h.replace(w, ready).then((ok) => {
      this.#replacing.delete(wid);
      if (ok) {
        this.#over.delete(w.id);
        this.#failed.delete(wid);
        return;
      }
      // still counted as over: the next check after the backoff tries again
      if (h.signal.aborted) return;
      const failures = (this.#failed.get(wid)?.failures ?? 0) + 1;
      const policy = { initial: c.backoff_initial, multiplier: c.backoff_multiplier, max: c.backoff_max, jitter: c.backoff_jitter };
      const delay = backoffDelay(failures + 1, policy, h.random);
      this.#failed.set(wid, { failures, notBefore: h.now() + delay * 1000 });
      h.log.warn('the replacement of a worker above max_memory did not become ready: the worker is kept, tried again later', {
        watcher: c.name,
        wid,
        pid: w.pid,
        failures,
        retry_after_seconds: Math.round(Math.max(delay, c.memory_check_interval) * 1000) / 1000,
      });
    });
  }
}
