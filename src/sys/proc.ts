/**
 * What the kernel tells us through /proc: our children, a process's state, our open fds.
 * Plain synchronous reads: these files are generated on read and tiny.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { SignalState } from './libc.js';

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/**
 * The direct children of process `pid`, from /proc/PID/task/TID/children of every thread:
 * an orphan is re-parented to one thread of the reaper, not always the main one.
 */
/**
 * Children of our own main thread. Every child ringmaster spawns comes from the main
 * thread (libuv spawns on the thread that calls it) and orphans are re-parented to the
 * main thread of the reaper, so this one list has them all: one /proc read instead of one
 * per thread of Node's (about a dozen), which matters when thousands of zombies wait.
 */
export function ownChildren(): number[] {
  const text = readOrNull(`/proc/${process.pid}/task/${process.pid}/children`);
  if (!text) return [];
  const out: number[] = [];
  for (const word of text.split(' ')) {
    const n = Number.parseInt(word, 10);
    if (n > 0) out.push(n);
  }
  return out;
}

export function childrenOf(pid: number | 'self'): number[] {
  const base = `/proc/${pid}/task`;
  let tids: string[];
  try {
    tids = readdirSync(base);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = readOrNull(`${base}/${tid}/children`);
    if (!text) continue;
    for (const word of text.split(' ')) {
      const n = Number.parseInt(word, 10);
      if (n > 0) out.push(n);
    }
  }
  return out;
}

/** Every descendant of `pid` (children first, then theirs), as seen at one instant. */
export function descendantsOf(pid: number | 'self'): number[] {
  const out: number[] = [];
  const queue = childrenOf(pid);
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.shift() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    queue.push(...childrenOf(p));
  }
  return out;
}

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** user + system CPU time in clock ticks */
  cpuTicks: number;
  /** resident set size in pages */
  rssPages: number;
  /** start time in clock ticks since boot */
  startTicks: number;
}

/** Parse /proc/PID/stat; null when the process is gone. */
export function procStat(pid: number | 'self'): ProcStat | null {
  const text = readOrNull(`/proc/${pid}/stat`);
  if (!text) return null;
  // comm is in parentheses and may itself contain spaces or ')': split at the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  const num = (i: number): number => Number(rest[i] ?? 0);
  return {
    pid: Number.parseInt(text.slice(0, open), 10),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(1),
    pgrp: num(2),
    session: num(3),
    cpuTicks: num(11) + num(12),
    startTicks: num(19),
    rssPages: num(21),
  };
}

export interface OpenFd {
  fd: number;
  /** readlink of /proc/self/fd/N: a path, `pipe:[ino]`, `socket:[ino]`, `anon_inode:[eventfd]`... */
  target: string;
}

/** Our own open file descriptors. */
export function openFds(): OpenFd[] {
  const out: OpenFd[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return out;
  }
  for (const name of names) {
    const fd = Number.parseInt(name, 10);
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the directory handle readdir itself used, already closed
    }
    out.push({ fd, target });
  }
  return out.sort((a, b) => a.fd - b.fd);
}

/** The inode of a socket fd (socket:[N]), to find it in /proc/net/tcp. */
export function socketInode(fd: number): number | undefined {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The blocked (SigBlk) and ignored (SigIgn) signals of a process, from /proc/PID/status;
 * null when the process is gone. For 'self', the mask is that of the thread reading.
 */
export function signalStateOf(pid: number | 'self'): SignalState | null {
  const text = readOrNull(`/proc/${pid}/status`);
  if (!text) return null;
  const hex = (key: string): bigint => {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)$`, 'm').exec(text);
    return m ? BigInt(`0x${m[1]}`) : 0n;
  };
  return { blocked: hex('SigBlk'), ignored: hex('SigIgn') };
}
