/**
 * The kernel's OOM kills in ringmaster's own memory cgroup (the one its workers run in: in
 * a container, the container's), so that a worker's SIGKILL can be told apart: the OOM
 * killer's, or anyone else's. The kernel counts its kills per cgroup, `oom_kill N` in
 * cgroup v2's `memory.events` and in v1's `memory.oom_control` (Linux 4.13+); ringmaster
 * reads that count once at start and again at each worker exit on SIGKILL (one small file
 * read, only then), and names the exit `oom` when the count rose.
 *
 * The cgroup is found as the kernel shows it to this process: its path in the hierarchy
 * from `/proc/self/cgroup` (`0::/path` for v2, `N:memory:/path` for v1), where the
 * hierarchy is mounted from `/proc/self/mountinfo` (a mount's root may be a sub-cgroup, as
 * in a container without a cgroup namespace: the path is taken relative to it). v2 is read
 * when its hierarchy has the memory controller, else v1 (a hybrid host: v2 without memory).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the kernel's files are: tests inject a fixture tree. */
export interface CgroupPaths {
  /** @default '/proc' */
  proc: string;
  /** prefixed to every mount point of mountinfo. @default '/' */
  root: string;
}

const REAL: CgroupPaths = { proc: '/proc', root: '/' };

/** The file that counts the OOM kills of a memory cgroup. */
export interface OomKillFile {
  version: 1 | 2;
  path: string;
}

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The mounts of /proc/PID/mountinfo (proc(5)): `id parent dev root mountpoint opts [optional...] - fstype source superopts`. */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 4) continue;
    mounts.push({ root: unescape(f[3] as string), mountPoint: unescape(f[4] as string), fsType: f[dash + 1] as string, superOptions: (f[dash + 3] as string).split(',') });
  }
  return mounts;
}

/** The path of this process's cgroup in the v2 hierarchy (`0::`) or in the v1 hierarchy of `controller`. */
export function cgroupPathOf(text: string, controller: string | undefined): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, id, controllers, path] = m as unknown as [string, string, string, string];
    if (controller === undefined ? id === '0' && controllers === '' : controllers.split(',').includes(controller)) return path;
  }
  return undefined;
}

/** The directory of cgroup `path` under a mount of its hierarchy (the path relative to the mount's root). */
function dirUnder(mount: Mount, path: string, root: string): string {
  const rel = mount.root === '/' ? path : path === mount.root || path.startsWith(`${mount.root}/`) ? path.slice(mount.root.length) : '/';
  return join(root, mount.mountPoint, rel);
}

/** The file counting the OOM kills of the memory cgroup this process runs in; undefined when there is none to read (no memory controller, no cgroup fs mounted). */
export function findOomKillFile(paths: CgroupPaths = REAL): OomKillFile | undefined {
  let cgroups: string;
  let mounts: Mount[];
  try {
    cgroups = readFileSync(join(paths.proc, 'self/cgroup'), 'utf8');
    mounts = parseMountinfo(readFileSync(join(paths.proc, 'self/mountinfo'), 'utf8'));
  } catch {
    return undefined;
  }
  const v2Path = cgroupPathOf(cgroups, undefined);
  const v2Mount = mounts.find((m) => m.fsType === 'cgroup2');
  if (v2Path !== undefined && v2Mount) {
    // memory.events exists only where the memory controller is enabled (and never in the root cgroup)
    const file = join(dirUnder(v2Mount, v2Path, paths.root), 'memory.events');
    if (existsSync(file)) return { version: 2, path: file };
  }
  const v1Path = cgroupPathOf(cgroups, 'memory');
  const v1Mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  if (v1Path !== undefined && v1Mount) {
    const file = join(dirUnder(v1Mount, v1Path, paths.root), 'memory.oom_control');
    if (existsSync(file)) return { version: 1, path: file };
  }
  return undefined;
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
export function oomKillCounter(paths: CgroupPaths = REAL, now?: () => number): { counter: OomKillCounter; file: OomKillFile } | undefined {
  const file = findOomKillFile(paths);
  if (!file || readOomKills(file.path) === undefined) return undefined;
  return { counter: new OomKillCounter(() => readOomKills(file.path), now), file };
}
