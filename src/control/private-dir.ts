/**
 * Directories that only the init's user can write: the control socket's default home is
 * made here (before the privilege drop, when the init starts as root), and every socket
 * directory is checked here, by the init before it binds and by ctl before it connects.
 *
 * Whoever can write a directory can remove the socket in it and put their own in its
 * place (to see every command ctl sends, or answer in the init's name), or take the name
 * before the init starts. So the socket's directory and each one above it must belong to
 * the init's user or to root, and must not be writable by anyone else, unless it has the
 * sticky bit (/tmp): there only an entry's owner may remove or rename it.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, realpathSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { RingmasterError } from '../errors/codes.js';
import { lookupUser } from '../sys/users.js';
import type { ControlOwner } from './paths.js';

const STICKY = 0o1000;

/** "uid 65534 (nobody)". */
export function describeUid(uid: number): string {
  const name = lookupUser(String(uid))?.name;
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${name})`;
}

export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symbolic link';
  if (st.isFIFO()) return 'FIFO';
  if (st.isFile()) return 'regular file';
  if (st.isSocket()) return 'socket';
  return 'device';
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

/** What lets someone other than `owner` (or root) replace an entry of `st`, a directory; undefined if nothing. */
function looseness(st: Stats, owner: ControlOwner): string | undefined {
  if (st.uid !== owner.uid && st.uid !== 0) return `belongs to ${describeUid(st.uid)}`;
  if ((st.mode & STICKY) !== 0) return undefined;
  if ((st.mode & 0o002) !== 0) return `is writable by every user (mode ${octal(st.mode)})`;
  if ((st.mode & 0o020) !== 0 && st.gid !== owner.gid) return `is writable by group ${st.gid} (mode ${octal(st.mode)})`;
  return undefined;
}

/**
 * Why a socket in `dir` could be replaced by someone other than `owner` or root: `dir` or
 * a directory above it (symbolic links resolved) that someone else owns or may write.
 * Undefined when it is safe.
 */
export function unsafeDirectory(dir: string, owner: ControlOwner): string | undefined {
  let d: string;
  try {
    d = realpathSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `its directory ${dir} does not exist` : `cannot check its directory ${dir}: ${code ?? (err as Error).message}`;
  }
  for (;;) {
    let st: Stats;
    try {
      st = lstatSync(d);
    } catch (err) {
      return `cannot check the directory ${d}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
    const why = looseness(st, owner);
    if (why !== undefined) {
      return `the directory ${d} ${why}, so someone other than ${describeUid(owner.uid)} could put their own socket in its place`;
    }
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

export type MakeOutcome =
  | { kind: 'ready' }
  /** this directory cannot be had here (read-only, missing parent): try the next place */
  | { kind: 'unusable'; reason: string };

function squatted(dir: string, what: string, owner: ControlOwner): RingmasterError {
  return new RingmasterError(
    'RM_SOCKET',
    `control socket directory ${dir} ${what}, not to ${describeUid(owner.uid)}: someone else made it before ringmaster, ` +
      `perhaps to intercept ringmaster ctl; remove it (rm -r ${dir}), or set control_socket or RINGMASTER_CONTROL_SOCKET ` +
      `to a path in a directory only ${describeUid(owner.uid)} can write`,
  );
}

const UNUSABLE = new Set(['ENOENT', 'ENOTDIR', 'EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT']);

function unusable(dir: string, err: unknown): MakeOutcome {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined || !UNUSABLE.has(code)) throw err;
  return { kind: 'unusable', reason: `${dir}: ${code}` };
}

/**
 * Make `dir` a directory of `owner`, mode 0700, or find it so. When this process is root a
 * directory it made, or one root made before (only root can have, in a place that passes
 * unsafeDirectory), is handed to `owner`. Throws RingmasterError RM_SOCKET, naming the
 * owner and the fix, when the name is taken: something other than a directory, or a
 * directory of someone else, or a place above it that others may write.
 */
export function makePrivateDir(dir: string, owner: ControlOwner): MakeOutcome {
  const parentProblem = unsafeDirectory(dirname(dir), owner);
  if (parentProblem !== undefined) {
    if (parentProblem.includes('does not exist')) return { kind: 'unusable', reason: parentProblem };
    throw new RingmasterError('RM_SOCKET', `control socket directory ${dir}: ${parentProblem}; set control_socket or RINGMASTER_CONTROL_SOCKET to a path in a directory only ${describeUid(owner.uid)} can write`);
  }
  let created = false;
  try {
    mkdirSync(dir, { mode: 0o700 });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return unusable(dir, err);
  }
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw squatted(dir, `is a ${kindOf(st)} that belongs to ${describeUid(st.uid)}`, owner);
  try {
    if (st.uid !== owner.uid || st.gid !== owner.gid) {
      const root = process.geteuid?.() === 0;
      // The parent passed unsafeDirectory, so what we did not make here, root made.
      if (st.uid !== owner.uid && !(root && (created || st.uid === 0))) throw squatted(dir, `belongs to ${describeUid(st.uid)}`, owner);
      if (root) chownSync(dir, owner.uid, owner.gid);
    }
    // Ours: make it private, whatever mode it was left with (and whatever the umask).
    if ((st.mode & 0o7777) !== 0o700) chmodSync(dir, 0o700);
  } catch (err) {
    if (err instanceof RingmasterError) throw err;
    return unusable(dir, err);
  }
  return { kind: 'ready' };
}
