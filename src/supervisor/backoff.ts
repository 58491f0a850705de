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

/**
 * Errors that say the system (or the init) is short of a resource, not that the command is
 * wrong: out of file descriptors (EMFILE, ENFILE), of processes or threads (EAGAIN from
 * fork), of memory (ENOMEM). They pass when the shortage does, so a spawn or a worker's
 * setup that fails with one is retried without counting toward max_retry.
 */
export const RESOURCE_ERRORS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM']);

export function isResourceError(code: string): boolean {
  return RESOURCE_ERRORS.has(code);
}

/** Shortest wait between two tries after a resource error, whatever the policy: a spawn that fails every tick would spin PID 1. */
export const RESOURCE_RETRY_MIN = 0.1;

/**
 * Delay in seconds before the `tries`-th retry (1, 2, ...) after resource errors in a row:
 * `initial`, growing by `multiplier` up to `max`, with jitter, and never below RESOURCE_RETRY_MIN.
 */
export function resourceRetryDelay(tries: number, p: BackoffPolicy, random: () => number = Math.random): number {
  return Math.max(RESOURCE_RETRY_MIN, backoffDelay(Math.max(1, tries) + 1, p, random));
}
