/**
 * What ringmaster can see of its own cgroup's limits: the CPU quota, the CPUs it may run
 * on, the memory limit. Read from the files, never cached (a reload or a scrape reads again).
 *
 * The cgroup is found from `/proc/self/cgroup` (one line per hierarchy: `ID:CONTROLLERS:PATH`,
 * `0::PATH` for v2) and `/proc/self/mountinfo` (where each hierarchy is mounted, and which
 * of its directories the mount shows: inside a cgroup namespace the path is `/`). The
 * limit is the tightest one on the cgroup's directory and every parent up to the mount
 * (Kubernetes sets one per pod and one per container).
 *
 * - v2: `cpu.max` (`QUOTA PERIOD`, `max` = no limit), `memory.max` (`max` = no limit),
 *   `cpuset.cpus.effective`; read when the v2 hierarchy has the controller
 *   (`cgroup.controllers` of its mount).
 * - v1: `cpu.cfs_quota_us` / `cpu.cfs_period_us` (quota -1 = no limit),
 *   `memory.limit_in_bytes` (a value of 2^60 or more = no limit), `cpuset.effective_cpus`
 *   or `cpuset.cpus`; read when v2 lacks the controller (a hybrid host, as most v1 hosts are).
 *
 * `root` (default `/`) is prefixed to every path read, `/proc/self/...` and mount points
 * alike, so tests inject a directory holding a fake hierarchy.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface CgroupOptions {
  /** prefix of every path read. @default '/' */
  root?: string;
  /** CPUs the process may run on, as the scheduler says. @default os.availableParallelism */
  availableParallelism?: () => number;
}

export interface CpuLimit {
  /** the tightest CFS quota on the path, in CPUs (1.5 for 150000/100000); undefined: no limit */
  cores: number | undefined;
  /** cgroup version the quota was read from */
  version: 1 | 2 | undefined;
  /** CPUs ringmaster may run on: the cpuset, and never more than availableParallelism() */
  cpus: number;
}

interface Mount {
  /** the hierarchy's directory the mount shows (`/` in a cgroup namespace) */
  base: string;
  point: string;
  fstype: string;
  /** v1 controllers (super options: `rw,cpu,cpuacct`) */
  options: string[];
}

interface Membership {
  controllers: string[];
  path: string;
}

const V1_UNLIMITED = 2 ** 60;

function read(root: string, path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** mountinfo escapes spaces and such as `\040`. */
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

function mounts(root: string): Mount[] {
  const out: Mount[] = [];
  for (const line of (read(root, '/proc/self/mountinfo') ?? '').split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const f = left.split(' ');
    const [fstype, , superOptions] = right.split(' ');
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || f[3] === undefined || f[4] === undefined) continue;
    out.push({ base: unescape(f[3]), point: unescape(f[4]), fstype, options: (superOptions ?? '').split(',') });
  }
  return out;
}

function memberships(root: string): Membership[] {
  const out: Membership[] = [];
  for (const line of (read(root, '/proc/self/cgroup') ?? '').split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (m) out.push({ controllers: (m[2] as string).split(',').filter(Boolean), path: m[3] as string });
  }
  return out;
}

/**
 * The directories to read for `controller`, the cgroup's own first, up to the mount, or
 * undefined when no hierarchy that has it is mounted. v2 first when it has the controller.
 */
export function cgroupDirs(controller: string, o: CgroupOptions = {}): { version: 1 | 2; dirs: string[] } | undefined {
  const root = o.root ?? '/';
  const ms = mounts(root);
  const cg = memberships(root);
  const v2 = cg.find((c) => c.controllers.length === 0);
  const v2mount = ms.find((m) => m.fstype === 'cgroup2');
  if (v2 && v2mount && (read(root, join(v2mount.point, 'cgroup.controllers')) ?? '').split(/\s+/).includes(controller)) {
    return { version: 2, dirs: walk(v2mount, v2.path) };
  }
  const v1 = cg.find((c) => c.controllers.includes(controller));
  const v1mount = ms.find((m) => m.fstype === 'cgroup' && m.options.includes(controller));
  if (v1 && v1mount) return { version: 1, dirs: walk(v1mount, v1.path) };
  return undefined;
}

/** The cgroup's directory under the mount, then each parent up to the mount point. */
function walk(m: Mount, path: string): string[] {
  const base = m.base.replace(/\/+$/, '');
  // a path outside what the mount shows (another namespace): the mount's top is all we see
  const rel = path === base || path.startsWith(`${base}/`) ? path.slice(base.length) : '';
  const parts = rel.split('/').filter(Boolean);
  const dirs: string[] = [];
  for (let i = parts.length; i >= 0; i--) dirs.push(join(m.point, ...parts.slice(0, i)));
  return dirs;
}

/** The CPU quota (tightest on the path) and the CPUs ringmaster may run on. */
export function cpuLimit(o: CgroupOptions = {}): CpuLimit {
  const root = o.root ?? '/';
  const cpus = Math.max(1, Math.min((o.availableParallelism ?? availableParallelism)(), cpusetCount(o) ?? Infinity));
  const found = cgroupDirs('cpu', o);
  if (!found) return { cores: undefined, version: undefined, cpus };
  let cores: number | undefined;
  for (const dir of found.dirs) {
    const c = found.version === 2 ? quotaV2(read(root, join(dir, 'cpu.max'))) : quotaV1(read(root, join(dir, 'cpu.cfs_quota_us')), read(root, join(dir, 'cpu.cfs_period_us')));
    if (c !== undefined && (cores === undefined || c < cores)) cores = c;
  }
  return { cores, version: cores === undefined ? undefined : found.version, cpus };
}

/** The tightest memory limit on the path in bytes, and the cgroup version it was read from; undefined when there is none. */
export function memoryLimit(o: CgroupOptions = {}): { bytes: number; version: 1 | 2 } | undefined {
  const root = o.root ?? '/';
  const found = cgroupDirs('memory', o);
  if (!found) return undefined;
  let limit: number | undefined;
  for (const dir of found.dirs) {
    const text = read(root, join(dir, found.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'));
    if (text === undefined || !/^\d+$/.test(text)) continue; // v2 `max`
    const n = Number(text);
    if (n >= V1_UNLIMITED) continue;
    if (limit === undefined || n < limit) limit = n;
  }
  return limit === undefined ? undefined : { bytes: limit, version: found.version };
}

/** v2 `cpu.max`: `QUOTA PERIOD` or `max PERIOD`. */
export function quotaV2(text: string | undefined): number | undefined {
  const [q, p] = (text ?? '').split(/\s+/);
  return quota(q, p ?? '100000');
}

/** v1 `cpu.cfs_quota_us` (-1 = no limit) and `cpu.cfs_period_us`. */
export function quotaV1(q: string | undefined, p: string | undefined): number | undefined {
  return quota(q, p);
}

function quota(q: string | undefined, p: string | undefined): number | undefined {
  if (q === undefined || p === undefined || !/^\d+$/.test(q) || !/^\d+$/.test(p)) return undefined;
  const [quotaUs, periodUs] = [Number(q), Number(p)];
  return quotaUs > 0 && periodUs > 0 ? quotaUs / periodUs : undefined;
}

/** CPUs in the cpuset of the cgroup (`0-3,6`), or undefined when unreadable. */
function cpusetCount(o: CgroupOptions): number | undefined {
  const root = o.root ?? '/';
  const found = cgroupDirs('cpuset', o);
  if (!found) return undefined;
  const dir = found.dirs[0] as string;
  const files = found.version === 2 ? ['cpuset.cpus.effective'] : ['cpuset.effective_cpus', 'cpuset.cpus'];
  for (const f of files) {
    const n = countCpuList(read(root, join(dir, f)));
    if (n !== undefined) return n;
  }
  return undefined;
}

/** `0-3,6` -> 5; empty or malformed -> undefined. */
export function countCpuList(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  let n = 0;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    n += (m[2] === undefined ? 0 : Number(m[2]) - Number(m[1])) + 1;
  }
  return n > 0 ? n : undefined;
}

/** How many workers `auto*factor` means, and why: `{ n: 2, source: 'cgroup cpu limit 1.5 CPUs' }`. */
export function autoProcesses(factor: number, cpu: CpuLimit): { n: number; source: string } {
  const limited = cpu.cores !== undefined && cpu.cores < cpu.cpus;
  const base = limited ? (cpu.cores as number) : cpu.cpus;
  const what = limited ? `cgroup v${cpu.version} cpu limit ${round(base)} CPUs` : `${base} CPU${base === 1 ? '' : 's'} available`;
  // 1e-9: 1.5*2 in floating point must stay 3, not become 4
  const n = Math.max(1, Math.ceil(base * factor - 1e-9));
  return { n, source: `auto${factor === 1 ? '' : `*${factor}`}: ${what}` };
}

const round = (x: number): string => String(Math.round(x * 1000) / 1000);
