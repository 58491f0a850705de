/**
 * The resident memory of a worker with its descendants, for max_memory: RSS from
 * /proc/PID/statm (one small read per process), summed over the process and every
 * descendant /proc shows (sys/proc.ts descendantsOf).
 *
 * RSS, not PSS: PSS (/proc/PID/smaps_rollup) divides shared pages among the processes that
 * map them, so a preforked pool's sum is nearer the truth, but the kernel walks every
 * mapping's page tables to produce it: measured here at 64 workers, 12-14x the cost of statm
 * per check (BENCHMARKS.md, bench/memory-check/run.mjs). RSS counts a shared page once per
 * process: a limit per worker that is exceeded is exceeded in RSS first, which errs toward
 * recycling a worker early, never toward the OOM killer. statm over status (VmRSS): the
 * same number, one line to split instead of fifty to scan (1.4-1.7x cheaper).
 */
import { descendantsOf } from './proc.js';
import { kernelUnits, readPidStatm } from './procfs.js';

/** RSS of `pid` and its descendants in bytes; undefined when `pid` itself is gone. */
export function treeResidentBytes(pid: number): number | undefined {
  const own = readPidStatm(pid);
  if (!own) return undefined;
  let pages = own.residentPages;
  // a descendant that exits between the two reads counts 0: it holds no memory now
  for (const d of descendantsOf(pid)) pages += readPidStatm(d)?.residentPages ?? 0;
  return pages * kernelUnits().pageSize;
}
