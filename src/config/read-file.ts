/**
 * Reading a config file with a bound: regular files only, at most the bytes left in the
 * configuration's budget. `/dev/zero` or a FIFO would otherwise be read without end (or
 * block PID 1 forever): the file is opened O_NONBLOCK (so that neither opening a FIFO nor
 * reading a file like /proc/kmsg can wait), checked with fstat on the open fd (no race
 * with a rename), and read by hand: files in /proc report a size of 0.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ConfigError } from './errors.js';
import { limitIssue, MAX_CONFIG_BYTES, MAX_CONFIG_FILES, type Budget } from './limits.js';
import type { ConfigIssue } from './types.js';

/** What a read gave: the text and, from readBounded, how many bytes it was. */
export type FileRead = { ok: true; text: string; bytes?: number } | { ok: false; issue: ConfigIssue };

const KIND: Array<[string, (s: Stats) => boolean]> = [
  ['a directory', (s) => s.isDirectory()],
  ['a character device', (s) => s.isCharacterDevice()],
  ['a block device', (s) => s.isBlockDevice()],
  ['a FIFO', (s) => s.isFIFO()],
  ['a socket', (s) => s.isSocket()],
];

/** Read `abs` (named `label` in messages) as UTF-8 without a byte-order mark, charging `budget`: regular files only (INI includes). */
export function readConfigFile(label: string, abs: string, budget: Budget): FileRead {
  const fail = (message: string): FileRead => ({ ok: false, issue: { code: 'RM_CONFIG_FILE', path: '', message, pos: undefined, value: label } });
  const files = countFile(label, budget);
  if (files) return { ok: false, issue: files };
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return fail(`cannot read ${label}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    const bad = notRegularIssue(st, label) ?? sizeIssue(st, label, budget);
    if (bad) return { ok: false, issue: bad };
    const r = readBounded(fd, st.size, label, budget);
    if (r.ok) chargeBytes(label, r.bytes ?? 0, budget);
    return r.ok ? { ok: true, text: stripBom(r.text) } : r;
  } catch (e) {
    return fail(`cannot read ${label}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Why `st` is no config file (a directory, a device, a FIFO...), or undefined for a regular file. */
export function notRegularIssue(st: Stats, label: string): ConfigIssue | undefined {
  if (st.isFile()) return undefined;
  const kind = KIND.find(([, test]) => test(st))?.[0] ?? 'not a regular file';
  const message = `cannot read ${label}: it is ${kind}, not a regular file; give the path of a config file (or of a ConfigMap directory)`;
  return { code: 'RM_CONFIG_FILE', path: '', message, pos: undefined, value: label };
}

/** A regular file larger than the room left in the budget, refused before it is read. */
export function sizeIssue(st: Stats, label: string, budget: Budget): ConfigIssue | undefined {
  return st.size > MAX_CONFIG_BYTES - budget.bytes ? bytesIssue(label, budget.bytes + st.size) : undefined;
}

/**
 * Read an open fd to its end, but never more than the room left in `budget` (plus one byte,
 * to tell "exactly full" from "too large" in /proc files, which say size 0). Not charged:
 * the caller charges what it keeps (a file read again after a change is charged once).
 */
export function readBounded(fd: number, size: number, label: string, budget: Budget): FileRead {
  const into = bounded(size, budget);
  while (into.n < into.buf.length) {
    const got = readSync(fd, into.buf, into.n, into.buf.length - into.n, null);
    if (got === 0) break;
    into.n += got;
  }
  return boundedResult(into, label, budget);
}

/** readBounded for a file opened with fs.promises (a running init's reload). */
export async function readBoundedAsync(fh: FileHandle, size: number, label: string, budget: Budget): Promise<FileRead> {
  const into = bounded(size, budget);
  while (into.n < into.buf.length) {
    const { bytesRead } = await fh.read(into.buf, into.n, into.buf.length - into.n, null);
    if (bytesRead === 0) break;
    into.n += bytesRead;
  }
  return boundedResult(into, label, budget);
}

function bounded(size: number, budget: Budget): { buf: Buffer; n: number } {
  const room = MAX_CONFIG_BYTES - budget.bytes;
  return { buf: Buffer.allocUnsafe(Math.min(room, Math.max(size, 64 * 1024)) + 1), n: 0 };
}

function boundedResult({ buf, n }: { buf: Buffer; n: number }, label: string, budget: Budget): FileRead {
  if (n > MAX_CONFIG_BYTES - budget.bytes) return { ok: false, issue: bytesIssue(label, `at least ${budget.bytes + n}`) };
  return { ok: true, text: buf.toString('utf8', 0, n), bytes: n };
}

/**
 * Text given directly (RINGMASTER_CONFIG, parseConfigText), charged to `budget` like a
 * file; returned without a byte-order mark. Throws ConfigError when it is over the limit.
 */
export function givenText(label: string, text: string, budget: Budget): string {
  const over = countFile(label, budget) ?? chargeBytes(label, Buffer.byteLength(text, 'utf8'), budget);
  if (over) throw new ConfigError([over]);
  return stripBom(text);
}

export function chargeBytes(label: string, bytes: number, budget: Budget): ConfigIssue | undefined {
  if (budget.bytes + bytes > MAX_CONFIG_BYTES) return bytesIssue(label, budget.bytes + bytes);
  budget.bytes += bytes;
  return undefined;
}

export function countFile(label: string, budget: Budget): ConfigIssue | undefined {
  budget.files++;
  return budget.files > MAX_CONFIG_FILES ? limitIssue(label, 'files', `at least ${budget.files}`, MAX_CONFIG_FILES) : undefined;
}

function bytesIssue(label: string, seen: number | string): ConfigIssue {
  return limitIssue(label, 'bytes', seen, MAX_CONFIG_BYTES);
}

/** A UTF-8 byte-order mark is not part of the text (editors on Windows write one). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
