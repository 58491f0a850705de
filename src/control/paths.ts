/**
 * Where the control socket lives. The init and `ringmaster ctl` apply the same rule, so
 * that `ctl` finds the init without flags:
 *
 * 1. env RINGMASTER_CONTROL_SOCKET (it reaches both, e.g. from a Dockerfile ENV);
 * 2. the config's `control_socket` (ctl reads the same config sources as the init);
 * 3. `control.sock` in a directory of the init's own user (the user it drops to), mode
 *    0700, the first of these that can be made:
 *    - `$XDG_RUNTIME_DIR/ringmaster`, when XDG_RUNTIME_DIR is a directory of that user;
 *    - `/run/ringmaster`, when the init starts as root (only root can create it there);
 *    - `$TMPDIR/ringmaster-UID` (os.tmpdir(), /tmp by default): a read-only container
 *      with only /tmp writable, a non-root init.
 *
 * Nobody else can create a file in such a directory, so nobody can take the socket's name
 * before the init does; a directory of that name made by someone else is refused (see
 * private-dir.ts). ctl looks in the same directories, in the same order, and takes the
 * first that holds a socket.
 */
import { lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { lookupIds } from '../sys/users.js';

export const CONTROL_SOCKET_ENV = 'RINGMASTER_CONTROL_SOCKET';

/** The socket's name inside a default directory. */
export const SOCKET_NAME = 'control.sock';

/** The default directory of an init that starts as root. */
export const RUN_DIR = '/run/ringmaster';

export type ControlSocketSource = 'option' | 'env' | 'config' | 'default';

export interface ControlSocketLocation {
  path: string;
  /** which rule chose it, for messages that say where ctl looked and why */
  source: ControlSocketSource;
}

/** Whom the control socket's directory belongs to: the user and group the init runs as after its privilege drop. */
export interface ControlOwner {
  uid: number;
  gid: number;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** The path the environment or the config names, if either does (rules 1 and 2). */
export function namedControlSocket(env: NodeJS.ProcessEnv, configured?: string): ControlSocketLocation | undefined {
  const fromEnv = nonEmpty(env[CONTROL_SOCKET_ENV]);
  if (fromEnv !== undefined) return { path: fromEnv, source: 'env' };
  const fromConfig = nonEmpty(configured);
  if (fromConfig !== undefined) return { path: fromConfig, source: 'config' };
  return undefined;
}

/**
 * The uid and gid an init with `ringmaster.user` / `ringmaster.group` ends up as, the way
 * its privilege drop resolves them (a user's own group unless `group` is given; unchanged
 * when neither is). Undefined when a name is unknown: the drop itself then fails, saying so.
 */
export function controlOwner(user: string | undefined, group: string | undefined): ControlOwner | undefined {
  const target = lookupIds(user, group);
  if (!target.ok) return undefined;
  return { uid: target.user?.uid ?? process.getuid?.() ?? 0, gid: target.gid ?? process.getgid?.() ?? 0 };
}

function isDirOf(path: string, uid: number): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && st.uid === uid;
  } catch {
    return false;
  }
}

/**
 * The default directories for an init whose user is `uid`, in the order tried (rule 3).
 * @param withRunDir include /run/ringmaster: the init when it starts as root; ctl always
 */
export function defaultControlDirs(uid: number, env: NodeJS.ProcessEnv, withRunDir: boolean): string[] {
  const dirs: string[] = [];
  const xdg = nonEmpty(env['XDG_RUNTIME_DIR']);
  // root's own runtime dir is no place for the socket of an init that drops to another user.
  if (xdg !== undefined && isAbsolute(xdg) && isDirOf(xdg, uid)) dirs.push(join(xdg, 'ringmaster'));
  if (withRunDir) dirs.push(RUN_DIR);
  dirs.push(join(tmpdir(), `ringmaster-${uid}`));
  return dirs;
}

/** "from RINGMASTER_CONTROL_SOCKET", for messages. */
export function describeSource(source: ControlSocketSource): string {
  switch (source) {
    case 'option':
      return 'from --socket';
    case 'env':
      return `from ${CONTROL_SOCKET_ENV}`;
    case 'config':
      return 'from the config (control_socket)';
    case 'default':
      return 'the default';
    default: {
      const never: never = source;
      return never;
    }
  }
}
