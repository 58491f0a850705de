/**
 * A watcher's resource shortages: which wids are being retried after a spawn failed for
 * want of a resource (EMFILE & co, see backoff.ts), and the episode, from the first such
 * failure until every retried wid has started or is no longer wanted. The watcher logs an
 * episode when it begins and when it ends, not at every try.
 */

export interface ShortageStatus {
  /** the last resource error */
  error: string;
  /** ms since epoch */
  since: number;
  /** failed tries in this episode, all wids */
  tries: number;
}

export class Shortage {
  /** failed tries in a row, by wid */
  readonly #tries = new Map<number, number>();
  #episode: ShortageStatus | undefined;
  #total = 0;

  /** `wid` failed with `error`: its tries in a row, and whether this began an episode. */
  fail(wid: number, error: string, now: number): { tries: number; began: boolean } {
    const tries = (this.#tries.get(wid) ?? 0) + 1;
    this.#tries.set(wid, tries);
    this.#total++;
    const began = this.#episode === undefined;
    this.#episode ??= { error, since: now, tries: 0 };
    this.#episode.tries++;
    this.#episode.error = error;
    return { tries, began };
  }

  /** `wid` started, or is no longer wanted. Returns the episode when this ended it. */
  done(wid: number): ShortageStatus | undefined {
    if (!this.#tries.delete(wid) || this.#tries.size > 0) return undefined;
    const e = this.#episode;
    this.#episode = undefined;
    return e;
  }

  /** The watcher stops: no wid is retried any more. */
  clear(): void {
    this.#tries.clear();
    this.#episode = undefined;
  }

  /** failed tries since the watcher was made */
  get total(): number {
    return this.#total;
  }

  /** the current episode (a copy), if any */
  get status(): ShortageStatus | undefined {
    return this.#episode && { ...this.#episode };
  }
}
