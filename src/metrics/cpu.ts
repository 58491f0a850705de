/**
 * Per-watcher CPU time as a counter that never goes down, though workers come and go.
 *
 * The sum of utime+stime over a watcher's live workers drops each time a worker is
 * replaced, and Prometheus reads a drop in a counter as a reset (rate() would then count
 * the whole new total again). So each watcher keeps the last CPU time seen of each of its
 * workers (keyed by pid and start time, so a reused pid is a new process); when a worker
 * leaves the snapshot its last seen time moves into a `retired` sum. The counter is
 * retired + live.
 *
 * What it misses: CPU a worker used between the last scrape and its exit (at most one
 * scrape interval per replaced worker), and the CPU of a worker's own children (those
 * count in its cutime only once it has waited for them). A removed watcher's account is
 * dropped; if the name comes back it starts at 0, which Prometheus handles as a reset.
 */

export interface CpuSample {
  pid: number;
  startTicks: number;
  cpuTicks: number;
}

interface Account {
  retired: number;
  /** `pid:startTicks` -> last seen CPU ticks */
  live: Map<string, number>;
}

export class CpuAccounts {
  readonly #accounts = new Map<string, Account>();

  /**
   * Record one scrape's samples for `watcher` and return its total CPU ticks.
   * `listed` are the keys of workers the snapshot still lists whose stat could not be
   * read this time (exiting): their last value is kept, not retired yet.
   */
  update(watcher: string, samples: readonly CpuSample[], listed: readonly number[] = []): number {
    let a = this.#accounts.get(watcher);
    if (!a) {
      a = { retired: 0, live: new Map() };
      this.#accounts.set(watcher, a);
    }
    const next = new Map<string, number>();
    for (const s of samples) {
      const key = `${s.pid}:${s.startTicks}`;
      // CPU time of one process only grows; max() guards against a torn read.
      next.set(key, Math.max(s.cpuTicks, a.live.get(key) ?? 0));
    }
    const keep = new Set(listed.map((pid) => `${pid}:`));
    for (const [key, ticks] of a.live) {
      if (next.has(key)) continue;
      if (keep.has(key.slice(0, key.indexOf(':') + 1))) next.set(key, ticks);
      else a.retired += ticks;
    }
    a.live = next;
    let total = a.retired;
    for (const ticks of next.values()) total += ticks;
    return total;
  }

  /** Forget the watchers not in `names` (removed by a reload). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.#accounts.keys()) if (!names.has(name)) this.#accounts.delete(name);
  }
}
