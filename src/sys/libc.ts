/**
 * The only module that calls libc. Node has no waitpid/waitid for processes it did
 * not spawn, no prctl, and no way to bind a socket without accepting on it; koffi
 * gives us those calls without a compiler. Everything here is synchronous and cheap
 * (one FFI call is about a microsecond), and every -1/errno result becomes a
 * Node-style error carrying `code`, `errno` and `syscall`.
 *
 * The raw declarations are in ffi.ts, loaded on first use.
 */
import { constants as osConstants } from 'node:os';
import { libc } from './ffi.js';

/** A failed system call, shaped like Node's own errors (`err.code === 'ECHILD'`). */
export class SysError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}${detail ? ` ${detail}` : ''} failed: ${code}`);
    this.name = 'SysError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

let errnoNames: Map<number, string> | undefined;

/** errno number -> name. Node 20's util.getSystemErrorName misses some, os.constants has them all. */
export function errnoName(errno: number): string {
  if (!errnoNames) {
    errnoNames = new Map();
    for (const [name, value] of Object.entries(osConstants.errno)) errnoNames.set(value, name);
  }
  return errnoNames.get(errno) ?? `E${errno}`;
}

// Linux constants (stable ABI; same on x86_64 and aarch64).
export const P_ALL = 0;
export const WNOHANG = 1;
export const WEXITED = 4;
export const WNOWAIT = 0x01000000;
export const PR_SET_PDEATHSIG = 1;
export const PR_SET_CHILD_SUBREAPER = 36;
const SIG_IGN = 1;
const SIG_DFL = 0;
const SIGINFO_SIZE = 128;
/** Offset of si_pid in siginfo_t on 64-bit Linux: three ints, padding, then the union. */
const SIGINFO_PID_OFFSET = 16;

function fail(syscall: string, detail?: string): never {
  throw new SysError(syscall, libc().errno(), detail);
}

/** The outcome of a reaped process, decoded from the wait status. */
export type WaitStatus =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: number }
  | { kind: 'other'; raw: number };

/** The inverse of decodeWaitStatus: the status as wait(2) encodes it. */
export function rawWaitStatus(s: WaitStatus): number {
  switch (s.kind) {
    case 'exited':
      return (s.code & 0xff) << 8;
    case 'signaled':
      return s.signal & 0x7f;
    case 'other':
      return s.raw;
  }
}

export function decodeWaitStatus(raw: number): WaitStatus {
  const termsig = raw & 0x7f;
  if (termsig === 0) return { kind: 'exited', code: (raw >> 8) & 0xff };
  if (termsig !== 0x7f) return { kind: 'signaled', signal: termsig };
  return { kind: 'other', raw };
}

/**
 * waitpid(pid, WNOHANG). Returns null when the process has not exited yet,
 * the decoded status once it is reaped. Throws SysError (ECHILD when it is not our child).
 */
// Preallocated: reaping thousands of orphans makes this a hot path (no marshalling of a JS array).
const waitStatus = new Int32Array(1);

export function waitpidNoHang(pid: number): WaitStatus | null {
  const r = libc().waitpid(pid, waitStatus, WNOHANG);
  if (r < 0) fail('waitpid', String(pid));
  if (r === 0) return null;
  return decodeWaitStatus(waitStatus[0] ?? 0);
}

const siginfo = Buffer.alloc(SIGINFO_SIZE);

/**
 * Peek at a child that has exited, without reaping it (waitid with WNOWAIT).
 * Returns its pid, 0 when no child has exited, or -1 when we have no children at all.
 */
export function peekExitedChild(): number {
  siginfo.fill(0);
  const r = libc().waitid(P_ALL, 0, siginfo, WEXITED | WNOHANG | WNOWAIT);
  if (r < 0) {
    const errno = libc().errno();
    if (errno === osConstants.errno.ECHILD) return -1;
    throw new SysError('waitid', errno);
  }
  return siginfo.readInt32LE(SIGINFO_PID_OFFSET);
}

export function setChildSubreaper(on: boolean): void {
  if (libc().prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0) fail('prctl', 'PR_SET_CHILD_SUBREAPER');
}

/** Ask the kernel to send `signal` to us when our parent dies (tini -p). */
export function setParentDeathSignal(signal: number): void {
  if (libc().prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) < 0) fail('prctl', 'PR_SET_PDEATHSIG');
}

export function closeFd(fd: number): void {
  if (libc().close(fd) < 0) fail('close', String(fd));
}

/** The session id of a process (0 = ourselves). */
export function getsid(pid = 0): number {
  const r = libc().getsid(pid);
  if (r < 0) fail('getsid', String(pid));
  return r;
}

/** RLIMIT_* resource numbers on Linux, by lower-case name without the prefix. */
export const RLIMITS: Readonly<Record<string, number>> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7,
  memlock: 8, as: 9, locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};

/** Set soft = hard = `value` (null: infinity) for `resource` of process `pid`. */
export function setRlimit(pid: number, resource: number, value: number | null): void {
  const b = Buffer.alloc(16);
  const v = value === null ? 0xffffffffffffffffn : BigInt(value);
  b.writeBigUInt64LE(v, 0);
  b.writeBigUInt64LE(v, 8);
  if (libc().prlimit(pid, resource, b, null) < 0) fail('prlimit', `${pid} ${resource}`);
}

/** The hard limit of `resource` for process `pid` (0: ourselves); null: infinity. */
export function hardRlimit(pid: number, resource: number): bigint | null {
  const b = Buffer.alloc(16);
  if (libc().prlimit(pid, resource, null, b) < 0) fail('prlimit', `${pid} ${resource}`);
  const hard = b.readBigUInt64LE(8);
  return hard === 0xffffffffffffffffn ? null : hard;
}

const TIOCNOTTY = 0x5422;

/**
 * Give up our controlling terminal (fd must be that terminal). When we are the session
 * leader, the kernel then sends SIGHUP and SIGCONT to the terminal's foreground process group.
 */
export function releaseControllingTerminal(fd = 0): void {
  if (libc().ioctl(fd, TIOCNOTTY, 0) < 0) fail('ioctl', 'TIOCNOTTY');
}

/**
 * Lead a new process group and make it the foreground group of terminal `fd`, as a job
 * control shell does for a job (and tini for its child). SIGTTOU is ignored around the
 * call: a background process asking for the terminal would otherwise be stopped by it.
 */
export function takeForeground(fd = 0): void {
  const c = libc();
  if (c.setpgid(0, 0) < 0) fail('setpgid', '0 0');
  const { SIGTTOU } = osConstants.signals;
  const old = c.signal(SIGTTOU, SIG_IGN);
  const r = c.tcsetpgrp(fd, process.pid);
  const errno = c.errno();
  c.signal(SIGTTOU, old);
  if (r < 0) throw new SysError('tcsetpgrp', errno, String(fd));
}

const F_SETFD = 2;

/**
 * Replace this process with `file` (looked up in PATH), keeping the fds in `keep` open
 * across the exec (Node marks even 0, 1 and 2 close-on-exec), with `signals` as the
 * command's signal mask and ignored set (default: nothing blocked, nothing ignored; Node
 * itself ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across exec).
 * Returns only on failure, by throwing.
 */
export function execvp(file: string, args: readonly string[], keep: readonly number[], signals: SignalState = NO_SIGNALS): never {
  const c = libc();
  for (const fd of keep) if (c.fcntl(fd, F_SETFD, 0) < 0) fail('fcntl', `F_SETFD ${fd}`);
  // The mask first: a signal the command has blocked must not act in between.
  setSignalMask(signals.blocked);
  setSignalDispositions(signals.ignored);
  c.execvp(file, [file, ...args, null]);
  fail('execvp', file);
}

// ---------------------------------------------------------------------------------------
// Signal mask and dispositions: what a command starts with (see lifecycle/inherited-signals).

/**
 * A program's signal state at exec, as /proc/PID/status shows it (SigBlk, SigIgn): bit
 * n-1 stands for signal n (1..64). Handled signals are not part of it: exec resets them.
 */
export interface SignalState {
  blocked: bigint;
  ignored: bigint;
}

export const NO_SIGNALS: SignalState = Object.freeze({ blocked: 0n, ignored: 0n });

const SIG_SETMASK = 2;
/** glibc's sigset_t: 1024 bits; the kernel reads the first 64. */
const SIGSET_SIZE = 128;
/** SIGKILL and SIGSTOP cannot be set; 32 and 33 belong to glibc (thread cancellation, setxid). */
const UNSETTABLE = new Set([9, 19, 32, 33]);

export const signalBit = (signum: number): bigint => 1n << BigInt(signum - 1);

/** Replace the calling thread's signal mask (the one an exec from this thread keeps). */
export function setSignalMask(blocked: bigint): void {
  const set = Buffer.alloc(SIGSET_SIZE);
  set.writeBigUInt64LE(BigInt.asUintN(64, blocked), 0);
  if (libc().sigprocmask(SIG_SETMASK, set, null) < 0) fail('sigprocmask', 'SIG_SETMASK');
}

/** Every settable signal 1..64: SIG_IGN when its bit is in `ignored`, else SIG_DFL. */
export function setSignalDispositions(ignored: bigint): void {
  const c = libc();
  for (let n = 1; n <= 64; n++) {
    if (UNSETTABLE.has(n)) continue;
    if (c.signal(n, (ignored & signalBit(n)) !== 0n ? SIG_IGN : SIG_DFL) === -1) fail('signal', String(n));
  }
}

/**
 * Give `signum` a handler that does nothing. Like SIG_IGN, the signal cannot kill us; unlike
 * SIG_IGN, exec resets it to the default, so children do not inherit an ignored signal
 * (libuv resets only 1..31 before exec). Used for the real-time signals, which Node cannot
 * listen to. Falls back to SIG_IGN when the handler cannot be found.
 */
export function discardSignal(signum: number): void {
  const c = libc();
  let handler = SIG_IGN;
  try {
    handler = c.discardHandler();
  } catch {
    // no such symbol in this libc: ignoring is the next best
  }
  if (c.signal(signum, handler) === -1) fail('signal', String(signum));
}
