/**
 * The kernel's OOM kills in ringmaster's own memory cgroup (the one its workers run in: in
 * a container, the container's), so that a worker's SIGKILL can be told apart: the OOM
 * killer's, or anyone else's. The kernel counts its kills per cgroup, `oom_kill N` in
 * cgroup v2's `memory.events` and in v1's `memory.oom_control` (Linux 4.13+); ringmaster
 * reads that count once at start and again at each worker exit on SIGKILL (one small file
 * read, only then), and names the exit `oom` when the count rose.
 *
 * The cgroup is found as cgroup.ts finds it for the limits (`/proc/self/cgroup` and
 * `/proc/self/mountinfo`; v2 when its hierarchy has the memory controller, else v1).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupDirs, type CgroupOptions } from './cgroup.js';

/** The file that counts the OOM kills of a memory cgroup. */
export interface OomKillFile {
  version: 1 | 2;
  path: string;
}

/** The file counting the OOM kills of the memory cgroup this process runs in (found as cgroup.ts finds it); undefined when there is none to read. */
export function findOomKillFile(o: CgroupOptions = {}): OomKillFile | undefined {
  const found = cgroupDirs('memory', o);
  const own = found?.dirs[0];
  if (!found || own === undefined) return undefined;
  // memory.events exists only where the memory controller is enabled (and never in the v2 root cgroup)
  const path = join(o.root ?? '/', own, found.version === 2 ? 'memory.events' : 'memory.oom_control');
  return existsSync(path) ? { version: found.version, path } : undefined;
}

/** The `oom_kill N` count of a v2 `memory.events` or v1 `memory.oom_control` text; undefined without one (a v1 kernel before 4.13). */
export function parseOomKill(text: string): number | undefined {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The count in `file` now; undefined when it cannot be read (the cgroup went away). */
export function readOomKills(file: string): number | undefined {
  try {
    return parseOomKill(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * How long a rise of the count stays available to exits on SIGKILL reaped after the first
 * one. The OOM killer kills one process per kill counted; when it kills two workers at
 * once their exits are reaped within moments, and each is named. A rise nobody claims in
 * that time (the victim was not a worker but one of its children) is forgotten, so it
 * does not name a `kill -9` of much later.
 */
const CREDIT_MS = 2000;

/** The OOM kills of one cgroup as worker exits claim them (see OomCheck in supervisor/edges.ts). */
export class OomKillCounter {
  readonly #read: () => number | undefined;
  readonly #now: () => number;
  #last: number | undefined;
  /** kills counted and not yet claimed by an exit */
  #credit = 0;
  #creditAt = 0;

  /** Reads the count now: kills before this are nobody's. */
  constructor(read: () => number | undefined, now: () => number = Date.now) {
    this.#read = read;
    this.#now = now;
    this.#last = read();
  }

  /** A worker just exited on SIGKILL: true when the cgroup's OOM kill count rose for it. */
  claim(): boolean {
    const n = this.#read();
    const now = this.#now();
    if (now - this.#creditAt > CREDIT_MS) this.#credit = 0;
    if (n !== undefined && this.#last !== undefined && n > this.#last) {
      this.#credit += n - this.#last;
      this.#creditAt = now;
    }
    if (n !== undefined) this.#last = n;
    if (this.#credit === 0) return false;
    this.#credit--;
    return true;
  }
}

/** The counter of ringmaster's own memory cgroup, or undefined when it has none to read. */
export function oomKillCounter(o: CgroupOptions = {}, now?: () => number): { counter: OomKillCounter; file: OomKillFile } | undefined {
  const file = findOomKillFile(o);
  if (!file || readOomKills(file.path) === undefined) return undefined;
  return { counter: new OomKillCounter(() => readOomKills(file.path), now), file };
}
