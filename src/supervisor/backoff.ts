/**
 * Restart policy: how long to wait before respawning a worker that failed quickly.
 * The first quick failure respawns at once (a crash after a long healthy run is not a
 * crash loop); then the delay grows by `multiplier` from `initial` up to `max`, with
 * +/- `jitter` so a pool of failing workers does not restart in lockstep.
 */
export interface BackoffPolicy {
  /** seconds */
  initial: number;
  multiplier: number;
  /** seconds */
  max: number;
  /** fraction, 0..1 */
  jitter: number;
}

/** Delay in seconds before the respawn that follows the `failures`-th quick failure in a row. */
export function backoffDelay(failures: number, p: BackoffPolicy, random: () => number = Math.random): number {
  if (failures <= 1) return 0;
  const base = Math.min(p.max, p.initial * p.multiplier ** (failures - 2));
  const j = Math.min(1, Math.max(0, p.jitter));
  return Math.max(0, base * (1 + j * (2 * random() - 1)));
}
