/**
 * One scrape's view of the init: the snapshot, taken once, and the /proc reads every
 * collector of that scrape shares (/proc/PID/stat and statm per worker, one /proc/net/tcp{,6}
 * and one /proc/net/netstat), each done only if a collector asks for it.
 *
 * prom-client's Registry.metrics() calls every collect() synchronously, one after the
 * other, before its first await: a view made by the first collector is handed to the
 * others and dropped in a microtask, so the next scrape starts afresh. (A collector run
 * at another time just makes a view of its own: slower, still right.)
 */
import type { InitSnapshot, SocketSnapshot } from '../lifecycle/api.js';
import { CpuAccounts, type CpuSample } from './cpu.js';
import { listenBacklog } from '../sys/socket.js';
import {
  kernelUnits,
  readListenTable,
  readPidStat,
  readPidStatm,
  readSomaxconn,
  readTcpExt,
  type ListenCounters,
  type ListenTable,
} from './proc.js';

export interface WatcherUsage {
  /** CPU seconds of the watcher's workers, never decreasing (see cpu.ts) */
  cpuSeconds: number;
  /** resident memory of its live workers, bytes */
  residentBytes: number;
}

export interface SocketQueue {
  socket: string;
  /** connections waiting for accept() */
  queued: number;
  /** the most the kernel queues before it drops: min(backlog, somaxconn), times the rows of an SO_REUSEPORT group */
  max: number;
}

export interface Scrape {
  readonly snap: InitSnapshot;
  /** by watcher name */
  usage(): Map<string, WatcherUsage>;
  /** the inet sockets whose LISTEN row was found */
  queues(): SocketQueue[];
  tcpExt(): ListenCounters | undefined;
}

function lazy<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

function watcherUsage(snap: InitSnapshot, cpu: CpuAccounts): Map<string, WatcherUsage> {
  const { pageSize, clockTicks } = kernelUnits();
  const out = new Map<string, WatcherUsage>();
  for (const w of snap.watchers) {
    const samples: CpuSample[] = [];
    const unread: number[] = [];
    let rssPages = 0;
    for (const worker of w.workers) {
      if (worker.pid === undefined) continue;
      const st = readPidStat(worker.pid);
      if (!st) {
        unread.push(worker.pid);
        continue;
      }
      samples.push({ pid: worker.pid, startTicks: st.startTicks, cpuTicks: st.cpuTicks });
      rssPages += readPidStatm(worker.pid)?.residentPages ?? 0;
    }
    out.set(w.name, { cpuSeconds: cpu.update(w.name, samples, unread) / clockTicks, residentBytes: rssPages * pageSize });
  }
  cpu.retain(new Set(out.keys()));
  return out;
}

function socketQueues(snap: InitSnapshot): SocketQueue[] {
  const inet = snap.sockets.filter(
    (s): s is SocketSnapshot & { family: 'inet' | 'inet6' } => s.family === 'inet' || s.family === 'inet6',
  );
  if (inet.length === 0) return [];
  const tables: Partial<Record<'inet' | 'inet6', ListenTable | undefined>> = {};
  const table = (family: 'inet' | 'inet6'): ListenTable | undefined =>
    family in tables ? tables[family] : (tables[family] = readListenTable(family));
  const somaxconn = readSomaxconn() ?? Infinity;
  const out: SocketQueue[] = [];
  for (const s of inet) {
    const t = table(s.family);
    if (!t) continue;
    const limit = Math.min(s.backlog, somaxconn);
    if (s.inode !== undefined) {
      const queued = t.byInode.get(s.inode);
      // the kernel's value: a worker's listen() on the inherited fd may have replaced the backlog
      const kernel = s.fd === undefined ? undefined : listenBacklog(s.fd);
      if (queued !== undefined) out.push({ socket: s.name, queued, max: kernel ?? limit });
    } else if (s.so_reuseport && s.port !== undefined) {
      // One listener per worker in the group, each bound with the socket's backlog.
      const group = t.byPort.get(s.port);
      if (group) out.push({ socket: s.name, queued: group.queued, max: group.rows * limit });
    }
  }
  return out;
}

/** A function returning the current scrape's view (see above); `cpu` persists across scrapes. */
export function scrapeSource(snapshot: () => InitSnapshot): () => Scrape {
  const cpu = new CpuAccounts();
  let current: Scrape | undefined;
  return () => {
    if (current) return current;
    const snap = snapshot();
    const view: Scrape = {
      snap,
      usage: lazy(() => watcherUsage(snap, cpu)),
      queues: lazy(() => socketQueues(snap)),
      tcpExt: lazy(readTcpExt),
    };
    current = view;
    queueMicrotask(() => {
      current = undefined;
    });
    return view;
  };
}
