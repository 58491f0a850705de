/**
 * The init's control socket in two steps around the privilege drop:
 *
 *   prepareControl()  as the user the init starts as (root, usually): choose the path,
 *                     make the default directory and hand it to the user the init drops to
 *   start(controller) after the drop: bind the socket (so its file belongs to that user),
 *                     serve requests
 *
 * Importing this module loads everything the control socket needs, so that nothing is
 * read from the install directory after the drop. Neither step throws: the control socket
 * is optional, so a place that cannot be had is logged (what, whose, and the fix) and the
 * init runs on without it.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Controller } from '../lifecycle/api.js';
import { RingmasterError } from '../errors/codes.js';
import { controlOwner, defaultControlDirs, namedControlSocket, SOCKET_NAME, type ControlSocketLocation } from './paths.js';
import { makePrivateDir } from './private-dir.js';
import { startControlServer, type ControlServer } from './server.js';

export interface PrepareOptions {
  env: NodeJS.ProcessEnv;
  /** the config's control_socket */
  configured: string | undefined;
  /** the config's ringmaster.user and ringmaster.group: whom the default directory is for */
  user: string | undefined;
  group: string | undefined;
  /** what a relative control_socket is taken from: the invocation's directory (the init itself moves to /) */
  cwd: string;
  log: Logger;
}

export interface PreparedControl {
  /** where the socket will be bound; undefined when no place could be had (logged already) */
  readonly location: ControlSocketLocation | undefined;
  /** Bind and serve; undefined when that failed (logged). */
  start(controller: Controller): Promise<ControlServer | undefined>;
}

/** Any failure, an unforeseen one included: the init runs on without ctl (only a bug's stack is worth adding). */
function unavailable(log: Logger, err: unknown, path?: string): undefined {
  const e = err as Error;
  const fields: Record<string, string> = path === undefined ? {} : { path };
  if (!(err instanceof RingmasterError)) fields['stack'] = e?.stack ?? String(err);
  log.warn(`control socket not available, running without ringmaster ctl: ${e?.message ?? String(err)}`, fields);
  return undefined;
}

/** The default place (see paths.ts): the first directory that can be made private to the init's user. */
function defaultLocation(env: NodeJS.ProcessEnv, user: string | undefined, group: string | undefined): ControlSocketLocation | undefined {
  const owner = controlOwner(user, group);
  // An unknown user: the privilege drop that comes next fails, naming it.
  if (owner === undefined) return undefined;
  const tried: string[] = [];
  for (const dir of defaultControlDirs(owner.uid, env, process.geteuid?.() === 0)) {
    const made = makePrivateDir(dir, owner);
    if (made.kind === 'ready') return { path: join(dir, SOCKET_NAME), source: 'default' };
    tried.push(made.reason);
  }
  throw new RingmasterError('RM_SOCKET', `no directory for the control socket could be made (${tried.join('; ')}); set control_socket or RINGMASTER_CONTROL_SOCKET to a path in a writable directory`);
}

/** Step one, before the privilege drop (see the module comment). */
export function prepareControl(o: PrepareOptions): PreparedControl {
  let location: ControlSocketLocation | undefined;
  try {
    const named = namedControlSocket(o.env, o.configured);
    // Absolute now: the init leaves its working directory after starting. An abstract name
    // ('@name') is left as it is, for the server to refuse by name.
    const keep = (p: string): boolean => isAbsolute(p) || p.startsWith('@') || p.startsWith('\0');
    location = named !== undefined ? { ...named, path: keep(named.path) ? named.path : resolve(o.cwd, named.path) } : defaultLocation(o.env, o.user, o.group);
  } catch (err) {
    unavailable(o.log, err);
  }
  return {
    location,
    async start(controller: Controller): Promise<ControlServer | undefined> {
      if (location === undefined) return undefined;
      try {
        return await startControlServer({ path: location.path, controller, log: o.log });
      } catch (err) {
        return unavailable(o.log, err, location.path);
      }
    },
  };
}

