/**
 * The /proc files a scrape reads, parsed into plain numbers. Synchronous reads: these
 * files are generated on read, small, and never block on disk. Everything here is Linux
 * only; on a read error a function returns undefined (omit the metric) rather than a
 * made-up value.
 */
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { readText } from '../sys/procfs.js';

export { kernelUnits, readPidStatm, type KernelUnits, type PidMemory } from '../sys/procfs.js';

export interface ListenTable {
  /** accept-queue length (rx_queue) of the LISTEN rows, by socket inode */
  byInode: Map<number, number>;
  /** LISTEN rows by local port: the summed queue and how many rows (SO_REUSEPORT groups) */
  byPort: Map<number, { queued: number; rows: number }>;
}

/**
 * Add one row of /proc/net/tcp or tcp6 to `t`; false once the row is not a LISTEN one.
 * A row: `sl: local:PORT rem:PORT st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ...`.
 * For a LISTEN row (st 0A) rx_queue is sk_ack_backlog, the accept-queue length
 * (get_tcp4_sock()/get_tcp6_sock()). Its tx_queue is write_seq - snd_una, 0, not the
 * backlog limit: only inet_diag or TCP_INFO report that one.
 */
function addRow(t: ListenTable, line: string): boolean {
  const f = line.trim().split(/\s+/);
  if (f[3] !== '0A') return false;
  const local = f[1] ?? '';
  const port = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
  const queues = f[4] ?? '';
  const queued = Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16);
  const inode = Number(f[9]);
  if (!Number.isFinite(port) || !Number.isFinite(queued)) return true;
  if (inode > 0) t.byInode.set(inode, queued);
  const p = t.byPort.get(port);
  if (p) {
    p.queued += queued;
    p.rows++;
  } else t.byPort.set(port, { queued, rows: 1 });
  return true;
}

/**
 * The LISTEN rows at the head of /proc/net/tcp or tcp6 text. The kernel lists the
 * listening hash first, then the established one (tcp_get_idx(): listening_get_idx(),
 * then established_get_idx()), so the first other row ends the listeners.
 */
export function parseListenTable(text: string): ListenTable {
  const t: ListenTable = { byInode: new Map(), byPort: new Map() };
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    if (!addRow(t, line)) break;
  }
  return t;
}

/** The buffer of the /proc/net/tcp reads, read in pieces (the whole-file reads use procfs.ts's) */
const netScratch = Buffer.allocUnsafe(16 * 1024);

/**
 * The LISTEN rows of this network namespace for one family (tcp: inet, tcp6: inet6),
 * read only as far as the listeners go. The whole file can be huge (a busy pod holds
 * tens of thousands of TIME_WAIT rows: 20,000 cost 40 ms of CPU to read here), and
 * each read() makes the kernel walk to the next rows: stopping at the first
 * non-LISTEN row keeps a scrape O(listeners).
 */
export function readListenTable(family: 'inet' | 'inet6'): ListenTable | undefined {
  const scratch = netScratch;
  let fd: number;
  try {
    fd = openSync(family === 'inet' ? '/proc/net/tcp' : '/proc/net/tcp6', 'r');
  } catch {
    return undefined;
  }
  const t: ListenTable = { byInode: new Map(), byPort: new Map() };
  try {
    let rest = '';
    let header = true;
    for (;;) {
      const n = readSync(fd, scratch, 0, scratch.length, null);
      const text = rest + scratch.toString('latin1', 0, n);
      const lines = text.split('\n');
      // The last piece is a partial row, unless the file ended.
      rest = n === 0 ? '' : (lines.pop() as string);
      for (const line of lines) {
        if (header) {
          header = false;
          continue;
        }
        if (line.trim() !== '' && !addRow(t, line)) return t;
      }
      if (n === 0) return t;
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** net.core.somaxconn of this namespace: listen() silently lowers a bigger backlog to it. */
export function readSomaxconn(): number | undefined {
  const n = Number.parseInt(readText('/proc/sys/net/core/somaxconn', true) ?? '', 10);
  return Number.isFinite(n) ? n : undefined;
}

export interface ListenCounters {
  /** TcpExt ListenOverflows: SYNs or final ACKs dropped because an accept queue was full */
  overflows: number;
  /** TcpExt ListenDrops: every drop at a listener (overflows included) */
  drops: number;
}

/** TcpExt ListenOverflows and ListenDrops of /proc/net/netstat text (a names line, then a values line). */
export function parseTcpExt(text: string): ListenCounters | undefined {
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(' ');
  const values = lines[1]?.split(' ');
  if (!names || !values) return undefined;
  const overflows = Number(values[names.indexOf('ListenOverflows')]);
  const drops = Number(values[names.indexOf('ListenDrops')]);
  return Number.isFinite(overflows) && Number.isFinite(drops) ? { overflows, drops } : undefined;
}

export function readTcpExt(): ListenCounters | undefined {
  const text = readText('/proc/net/netstat');
  return text === undefined ? undefined : parseTcpExt(text);
}

export interface PidStat {
  /** utime + stime, in clock ticks */
  cpuTicks: number;
  /** start time in clock ticks after boot: with the pid, identifies the process */
  startTicks: number;
}

/**
 * CPU time and start time from /proc/PID/stat (proc(5)); undefined when the process is
 * gone. comm, field 2, is in parentheses and may hold spaces or ')': the fields are
 * counted from the last ')'. (Its rss field is not used: since Linux 6.2 it is a per-CPU
 * approximation, a tenth off for a small process here; statm is exact.)
 */
export function readPidStat(pid: number | 'self'): PidStat | undefined {
  const text = readText(`/proc/${pid}/stat`, true);
  if (text === undefined) return undefined;
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ', 21);
  // rest[0] is field 3 (state): field N is rest[N - 3]
  const n = (field: number): number => Number(rest[field - 3]);
  const s = { cpuTicks: n(14) + n(15), startTicks: n(22) };
  return Number.isFinite(s.cpuTicks) && Number.isFinite(s.startTicks) ? s : undefined;
}

/** Boot time in seconds since the epoch (/proc/stat btime), read once. */
let btime: number | undefined;
export function bootTime(): number | undefined {
  if (btime === undefined) {
    const m = /^btime (\d+)$/m.exec(readText('/proc/stat') ?? '');
    if (m) btime = Number(m[1]);
  }
  return btime;
}

/** How many fds this process has open (the directory handle readdir itself used not counted). */
export function openFdCount(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/** The soft RLIMIT_NOFILE of this process (/proc/self/limits); undefined when unlimited. */
export function maxFds(): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(readText('/proc/self/limits') ?? '');
  return m ? Number(m[1]) : undefined;
}
