/**
 * Reading one config file, whole. A running init reads a config only when it is a regular
 * file (opened with O_NONBLOCK, then fstat: a FIFO or a device put in its place would block
 * the read, or never end it); at start and in `check`, a pipe is read too. The size and
 * mtime of a regular file must be the same before and after the read: a file caught while
 * being written is read again, not parsed half written.
 *
 * What this cannot see: a writer that wrote part of the file and then paused, since the
 * part on disk is stable. The file watch's settle delay covers a writer that keeps
 * writing; a writer that stops half way must write elsewhere and rename the file into
 * place (what kubelet and most editors do), which no reader can see half done.
 */
import { closeSync, constants, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { ConfigError } from './errors.js';
import type { Budget } from './limits.js';
import { chargeBytes, countFile, notRegularIssue, readBounded, readBoundedAsync, sizeIssue, stripBom, type FileRead } from './read-file.js';
import type { ConfigIssue } from './types.js';

/** How often a file that changed while it was read is read again, and how long to wait between reads. */
export const REREAD = { attempts: 5, delayMs: 100 } as const;

/** O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can tell what it is. */
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Read a config file at once (ringmaster check, the init's start), charging `budget`. A pipe
 * is read to its end as before (`-c <(...)`, `-c /dev/stdin`), within the byte limit:
 * nothing else waits on the init yet. A directory or a device is refused.
 */
export function readConfigText(abs: string, label: string, budget: Budget): string {
  refuse(countFile(label, budget));
  for (let attempt = 1; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(abs, constants.O_RDONLY | constants.O_NOCTTY);
    } catch (e) {
      throw cannotRead(label, e);
    }
    try {
      const before = fstatSync(fd);
      if (before.isFIFO()) return kept(readBounded(fd, 0, label, budget), label, budget);
      refuse(notRegularIssue(before, label) ?? sizeIssue(before, label, budget));
      const r = readBounded(fd, before.size, label, budget);
      if (!r.ok || whole(before, fstatSync(fd), r.bytes ?? 0, statSync(abs, { throwIfNoEntry: false }))) return kept(r, label, budget);
    } catch (e) {
      throw e instanceof ConfigError ? e : cannotRead(label, e);
    } finally {
      closeSync(fd);
    }
    if (attempt >= REREAD.attempts) throw changing(label);
  }
}

/** Read a config file without blocking the event loop (a running init's reload): regular files only, a FIFO would wait for a writer. */
export async function readConfigTextAsync(abs: string, label: string, budget: Budget): Promise<string> {
  // node:fs/promises (~5-20 ms to load) only for a reload: the first load is synchronous
  const { open, stat } = await import('node:fs/promises');
  refuse(countFile(label, budget));
  for (let attempt = 1; ; attempt++) {
    let fh;
    try {
      fh = await open(abs, FLAGS);
    } catch (e) {
      throw cannotRead(label, e);
    }
    let read: FileRead | undefined;
    try {
      const before = await fh.stat();
      refuse(notRegularIssue(before, label) ?? sizeIssue(before, label, budget));
      const r = await readBoundedAsync(fh, before.size, label, budget);
      if (!r.ok || whole(before, await fh.stat(), r.bytes ?? 0, await stat(abs).catch(() => undefined))) read = r;
    } catch (e) {
      throw e instanceof ConfigError ? e : cannotRead(label, e);
    } finally {
      await fh.close();
    }
    if (read !== undefined) return kept(read, label, budget);
    if (attempt >= REREAD.attempts) throw changing(label);
    await new Promise((resolve) => setTimeout(resolve, REREAD.delayMs));
  }
}

function refuse(issue: ConfigIssue | undefined): void {
  if (issue) throw new ConfigError([issue]);
}

/** The text read, charged to the budget and without a byte-order mark; or its issue, thrown. */
function kept(r: FileRead, label: string, budget: Budget): string {
  if (!r.ok) throw new ConfigError([r.issue]);
  refuse(chargeBytes(label, r.bytes ?? Buffer.byteLength(r.text, 'utf8'), budget));
  return stripBom(r.text);
}

/**
 * Whether what was read is the whole file as it is now: same size and mtime before and after
 * (a write in between changes them), as many bytes as it has, and the path still names it
 * (not replaced by a rename, nor removed, meanwhile: then it is read again).
 */
function whole(before: Stats, after: Stats, bytes: number, now: Stats | undefined): boolean {
  if (before.size !== after.size || before.mtimeMs !== after.mtimeMs || before.ctimeMs !== after.ctimeMs) return false;
  // /proc and other pseudo-files say size 0 but have content: only a real size is compared.
  if (before.size > 0 && bytes !== before.size) return false;
  return now !== undefined && now.ino === after.ino && now.dev === after.dev;
}

function cannotRead(label: string, e: unknown): ConfigError {
  return configError(label, `cannot read ${label}: ${(e as Error).message}`);
}

function changing(label: string): ConfigError {
  return configError(
    label,
    `cannot read ${label}: it kept changing while being read (${REREAD.attempts} tries); write the new version to another file and rename it into place`,
  );
}

function configError(label: string, message: string): ConfigError {
  return new ConfigError([{ code: 'RM_CONFIG_FILE', path: '', message, pos: undefined, value: label }]);
}
