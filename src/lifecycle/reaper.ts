/**
 * Reaps orphans without stealing the exit status of the processes we spawned.
 *
 * libuv reports a child's exit only if its own waitpid(pid) finds it: a blanket
 * waitpid(-1) would make our workers' exits vanish (libuv takes ECHILD to mean
 * "someone else reaped it" and never calls back). So we peek with
 * waitid(P_ALL, WNOWAIT), which leaves the zombie in place, and reap only what is
 * not ours. When the peek shows one of ours (libuv has not collected it yet), the
 * same pid would come back forever, so we fall back to listing our children in
 * /proc and reaping the others one by one.
 *
 * One SIGCHLD can stand for many exits, so a pass loops until nothing is left. The peek
 * is the costlier call (measured here: ~5 us against ~4.5 us for the reaping waitpid), so
 * when one pass has found many zombies in a row (thousands of orphans handed over at
 * once), it switches to one /proc listing and a single waitpid per listed child.
 */

/** Zombies reaped through peeks in one pass before switching to a /proc sweep. */
const SWEEP_AFTER = 32;
import type { WaitStatus } from '../sys/libc.js';
import { signalName } from '../sys/signals.js';

/** How a reaped process ended, as log and event fields: its exit code or its signal's name. */
export function waitFields(status: WaitStatus): { code?: number; signal?: string } {
  if (status.kind === 'exited') return { code: status.code };
  if (status.kind === 'signaled') return { signal: signalName(status.signal) };
  return {};
}

export interface ReaperSys {
  /** pid of an exited child without reaping it; 0 when none has exited; -1 when we have no children */
  peekExitedChild(): number;
  /** reap `pid` if it has exited (null if it has not); throws with code ECHILD if it is not our child */
  waitpidNoHang(pid: number): WaitStatus | null;
  /** our direct children */
  children(): number[];
}

export type ReapListener = (pid: number, status: WaitStatus) => void;

export class Reaper {
  readonly #sys: ReaperSys;
  readonly #owned = new Set<number>();
  readonly #listeners = new Set<ReapListener>();
  #reaped = 0;

  constructor(sys: ReaperSys) {
    this.#sys = sys;
  }

  /** Total orphans reaped so far. */
  get reapedTotal(): number {
    return this.#reaped;
  }

  /** Mark a pid as spawned by us through libuv: never reap it. Call right after spawn(). */
  own(pid: number): void {
    this.#owned.add(pid);
  }

  /** Forget a pid once libuv has reported its exit. */
  disown(pid: number): void {
    this.#owned.delete(pid);
  }

  onReap(listener: ReapListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reap every exited child that is not ours. Returns how many were reaped. */
  pass(): number {
    let count = 0;
    let peeked = 0;
    // Bounded: each iteration reaps one zombie or leaves the loop.
    for (;;) {
      if (peeked >= SWEEP_AFTER) {
        // Many at once: list them all, reap each with one call; then peek again for the
        // ones that exited meanwhile (or that the list did not show).
        count += this.#sweep();
        peeked = 0;
      }
      const pid = this.#sys.peekExitedChild();
      if (pid <= 0) return count;
      if (this.#owned.has(pid)) return count + this.#sweep();
      const status = this.#reap(pid);
      if (status === undefined) return count + this.#sweep();
      count++;
      peeked++;
    }
  }

  /** Reap, among our children listed in /proc, every exited one that is not ours. */
  #sweep(): number {
    let count = 0;
    for (const pid of this.#sys.children()) {
      if (this.#owned.has(pid)) continue;
      if (this.#reap(pid) !== undefined) count++;
    }
    return count;
  }

  #reap(pid: number): WaitStatus | undefined {
    let status: WaitStatus | null;
    try {
      status = this.#sys.waitpidNoHang(pid);
    } catch {
      return undefined; // gone already (ECHILD): nothing to do
    }
    if (status === null) return undefined;
    this.#reaped++;
    for (const l of this.#listeners) l(pid, status);
    return status;
  }
}
