/**
 * Reading /proc files fast, and the kernel's units for them: shared by the metrics
 * (a scrape reads a few hundred files) and the max_memory check (one statm per worker).
 * Linux only; a read error is undefined (the process is gone), never a made-up value.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

// One buffer for every read: a scrape reads a few hundred small files, and readFileSync
// (fstat, a fresh buffer, a second read to see EOF) costs three times open/read/close.
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * A /proc file, whole. `oneRead`: the file is one record written by a single show()
 * (stat, statm, a sysctl), which seq_file hands over in the first read when the buffer
 * is big enough, so the read that would return 0 is skipped.
 */
export function readText(path: string, oneRead = false): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    let len = 0;
    for (;;) {
      if (len === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger);
        scratch = bigger;
      }
      const n = readSync(fd, scratch, len, scratch.length - len, null);
      len += n;
      if (n === 0 || (oneRead && len < scratch.length)) break;
    }
    return scratch.toString('latin1', 0, len);
  } catch {
    return undefined; // the process exited between open and read (ESRCH)
  } finally {
    closeSync(fd);
  }
}

export interface KernelUnits {
  /** bytes per page (/proc/PID/statm counts pages) */
  pageSize: number;
  /** USER_HZ: /proc/PID/stat utime and stime are in these ticks */
  clockTicks: number;
}

const AT_PAGESZ = 6n;
const AT_CLKTCK = 17n;
let units: KernelUnits | undefined;

/**
 * Page size and USER_HZ, from the aux vector the kernel gave this process
 * (/proc/self/auxv: AT_PAGESZ, AT_CLKTCK), read once. Node has no sysconf(); the
 * fallbacks are the values of every mainstream architecture (4 KiB pages, USER_HZ 100).
 */
export function kernelUnits(): KernelUnits {
  if (units) return units;
  units = { pageSize: 4096, clockTicks: 100 };
  try {
    const b = readFileSync('/proc/self/auxv');
    const wide = /64|s390x/.test(process.arch);
    const le = endianness() === 'LE';
    const size = wide ? 8 : 4;
    const word = (off: number): bigint =>
      wide ? (le ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off)) : BigInt(le ? b.readUInt32LE(off) : b.readUInt32BE(off));
    for (let off = 0; off + 2 * size <= b.length; off += 2 * size) {
      const key = word(off);
      if (key === 0n) break; // AT_NULL ends the vector
      const value = Number(word(off + size));
      if (key === AT_PAGESZ && value > 0) units.pageSize = value;
      if (key === AT_CLKTCK && value > 0) units.clockTicks = value;
    }
  } catch {
    // keep the fallbacks
  }
  return units;
}

export interface PidMemory {
  /** virtual memory size, pages */
  sizePages: number;
  /** resident set size, pages */
  residentPages: number;
}

/** /proc/PID/statm: `size resident shared text lib data dt`, in pages; undefined when the process is gone. */
export function readPidStatm(pid: number | 'self'): PidMemory | undefined {
  const f = readText(`/proc/${pid}/statm`, true)?.split(' ', 2);
  if (!f) return undefined;
  const m = { sizePages: Number(f[0]), residentPages: Number(f[1]) };
  return Number.isFinite(m.sizePages) && Number.isFinite(m.residentPages) ? m : undefined;
}
