/**
 * Which socket `ringmaster ctl` talks to, by the rule the init binds by (control/paths.ts):
 * --socket, else $RINGMASTER_CONTROL_SOCKET, else the config's control_socket, else the
 * default directories of the config's ringmaster.user (or of ctl's own user), the first
 * that holds a socket. The config is read from the init's own sources (-c, RINGMASTER_CONFIG,
 * RINGMASTER_CONFIG_FILE, /etc/ringmaster/), and only when neither of the first two is given.
 *
 * A socket found by the config or the default is used only in a directory that no one but
 * the init's user and root can write (private-dir.ts): otherwise it may be someone else's,
 * planted to receive what ctl sends.
 */
import { lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CONTROL_SOCKET_ENV, controlOwner, defaultControlDirs, describeSource, namedControlSocket, SOCKET_NAME, type ControlOwner } from '../control/paths.js';
import { describeUid, unsafeDirectory } from '../control/private-dir.js';
import { DEFAULT_PATHS, findSource, loadConfigFrom, type Source } from '../config/sources.js';
import type { Config } from '../config/types.js';

export type Found =
  | { kind: 'found'; path: string; from: string }
  | { kind: 'failed'; exit: 'config' | 'unavailable'; message: string };

export interface FindOptions {
  /** --socket */
  socket: string | undefined;
  /** -c */
  config: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** @default DEFAULT_PATHS, /etc/ringmaster/ringmaster.{yaml,yml,ini} */
  defaults?: readonly string[];
}

function describeConfig(source: Source): string {
  if (source.kind === 'text') return 'RINGMASTER_CONFIG';
  switch (source.origin) {
    case 'path':
      return `-c ${source.path}`;
    case 'RINGMASTER_CONFIG_FILE':
      return `RINGMASTER_CONFIG_FILE=${source.path}`;
    default:
      return source.path;
  }
}

function own(): ControlOwner {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

function refuse(path: string, problem: string): Found {
  return { kind: 'failed', exit: 'unavailable', message: `not using the control socket ${path}: ${problem}. Give --socket PATH if you trust it anyway.` };
}

/**
 * Whose directory `dir` may be: `expected`'s, or, when only root can create entries beside
 * it (/run), whoever root handed it to (ctl may not know the user the init dropped to).
 */
function ownerToTrust(dir: string, expected: ControlOwner): ControlOwner {
  try {
    const st = lstatSync(dir);
    if (st.uid === expected.uid) return expected;
    const parent = lstatSync(dirname(dir));
    if (parent.uid === 0 && (parent.mode & 0o022) === 0) return { uid: st.uid, gid: st.gid };
  } catch {
    // unsafeDirectory says what is wrong
  }
  return expected;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The first default directory holding something at control.sock. */
function inDefaultDirs(owner: ControlOwner, env: NodeJS.ProcessEnv, whose: string): Found {
  const dirs = defaultControlDirs(owner.uid, env, true);
  const notes: string[] = [];
  for (const dir of dirs) {
    const path = join(dir, SOCKET_NAME);
    try {
      lstatSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES') {
        let owner = 'its owner';
        try {
          owner = describeUid(lstatSync(dir).uid);
        } catch {
          // the note says enough without it
        }
        notes.push(`${dir} is closed to ${describeUid(own().uid)}: run ctl as ${owner} or root`);
      }
      continue;
    }
    const problem = unsafeDirectory(dir, ownerToTrust(dir, owner));
    if (problem !== undefined) return refuse(path, problem);
    return { kind: 'found', path, from: `${describeSource('default')} for ${whose}` };
  }
  return {
    kind: 'failed',
    exit: 'unavailable',
    message:
      `no control socket in ${dirs.join(', ')} (the default places for ${whose})${notes.length > 0 ? `; ${notes.join('; ')}` : ''}. ` +
      'Is ringmaster running with a config? Give --socket PATH, or -c CONFIG if its config is elsewhere.',
  };
}

/** See the module comment. Never throws for a config that cannot be read: that is a 'failed' with exit 'config'. */
export function findControlSocket(o: FindOptions): Found {
  if (o.socket !== undefined) return { kind: 'found', path: o.socket, from: describeSource('option') };
  const named = namedControlSocket(o.env);
  if (named !== undefined) return { kind: 'found', path: named.path, from: describeSource(named.source) };

  const source = findSource({ path: o.config, env: o.env, cwd: o.cwd }, o.defaults ?? DEFAULT_PATHS);
  if (source === undefined) return inDefaultDirs(own(), o.env, describeUid(own().uid));
  const where = describeConfig(source);
  let config: Config | null;
  try {
    config = loadConfigFrom({ path: o.config, env: o.env, cwd: o.cwd }, o.defaults ?? DEFAULT_PATHS);
  } catch (err) {
    return {
      kind: 'failed',
      exit: 'config',
      message: `cannot read the configuration (${where}) to find its control socket: ${(err as Error).message}\nFix it, or give --socket PATH (or ${CONTROL_SOCKET_ENV}=PATH).`,
    };
  }
  if (config === null) return inDefaultDirs(own(), o.env, describeUid(own().uid));
  const g = config.ringmaster;
  const owner = controlOwner(g.user, g.group) ?? own();
  if (g.control_socket !== undefined && g.control_socket.trim() !== '') {
    const path = resolve(o.cwd, g.control_socket);
    const problem = exists(path) ? unsafeDirectory(dirname(path), owner) : undefined;
    if (problem !== undefined) return refuse(path, problem);
    return { kind: 'found', path, from: `control_socket in the config (${where})` };
  }
  return inDefaultDirs(owner, o.env, `${describeUid(owner.uid)}, the user of ${where}`);
}
