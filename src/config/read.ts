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
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ConfigError } from './errors.js';

/** How often a file that changed while it was read is read again, and how long to wait between reads. */
export const REREAD = { attempts: 5, delayMs: 100 } as const;

/** O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can tell what it is. */
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Read a config file at once (ringmaster check, the init's start). A pipe is read to its end
 * as before (`-c <(...)`, `-c /dev/stdin`): nothing else waits on the init yet.
 */
export function readConfigText(abs: string, label: string): string {
  for (let attempt = 1; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(abs, constants.O_RDONLY | constants.O_NOCTTY);
    } catch (e) {
      throw cannotRead(label, e);
    }
    try {
      const before = fstatSync(fd);
      if (!before.isFile() && !before.isDirectory()) return readFileSync(fd, 'utf8');
      notRegular(before, label);
      const buf = readFileSync(fd);
      if (whole(before, fstatSync(fd), buf, statSync(abs, { throwIfNoEntry: false }))) return buf.toString('utf8');
    } catch (e) {
      throw e instanceof ConfigError ? e : cannotRead(label, e);
    } finally {
      closeSync(fd);
    }
    if (attempt >= REREAD.attempts) throw changing(label);
  }
}

/** Read a config file without blocking the event loop (a running init's reload): regular files only, a FIFO would wait for a writer. */
export async function readConfigTextAsync(abs: string, label: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    let fh;
    try {
      fh = await open(abs, FLAGS);
    } catch (e) {
      throw cannotRead(label, e);
    }
    let text: string | undefined;
    try {
      const before = await fh.stat();
      notRegular(before, label);
      const buf = await fh.readFile();
      if (whole(before, await fh.stat(), buf, await stat(abs).catch(() => undefined))) text = buf.toString('utf8');
    } catch (e) {
      throw e instanceof ConfigError ? e : cannotRead(label, e);
    } finally {
      await fh.close();
    }
    if (text !== undefined) return text;
    if (attempt >= REREAD.attempts) throw changing(label);
    await new Promise((resolve) => setTimeout(resolve, REREAD.delayMs));
  }
}

/**
 * Whether what was read is the whole file as it is now: same size and mtime before and after
 * (a write in between changes them), as many bytes as it has, and the path still names it
 * (not replaced by a rename, nor removed, meanwhile: then it is read again).
 */
function whole(before: Stats, after: Stats, buf: Buffer, now: Stats | undefined): boolean {
  if (before.size !== after.size || before.mtimeMs !== after.mtimeMs || before.ctimeMs !== after.ctimeMs) return false;
  // /proc and other pseudo-files say size 0 but have content: only a real size is compared.
  if (before.size > 0 && buf.length !== before.size) return false;
  return now !== undefined && now.ino === after.ino && now.dev === after.dev;
}

function notRegular(st: Stats, label: string): void {
  if (st.isFile()) return;
  const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
  throw configError(label, `cannot read ${label}: it is ${kind}, not a regular file; point the configuration at a file (or a ConfigMap directory)`);
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
  return new ConfigError([{ path: '', message, pos: undefined, value: label }]);
}
