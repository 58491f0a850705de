/**
 * Where the control socket lives. The init and `ringmaster ctl` apply the same rule, so
 * that `ctl` finds the init without flags: the environment first (it reaches both, e.g.
 * from a Dockerfile ENV), then the config's `control_socket`, then a per-user default in
 * the temp dir (per uid, so two users on one host never share one).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CONTROL_SOCKET_ENV = 'RINGMASTER_CONTROL_SOCKET';

export type ControlSocketSource = 'env' | 'config' | 'default';

export interface ControlSocketLocation {
  path: string;
  /** which rule chose it, for messages that say where ctl looked and why */
  source: ControlSocketSource;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** The control socket's path, and which rule chose it. */
export function locateControlSocket(env: NodeJS.ProcessEnv, configured?: string): ControlSocketLocation {
  const fromEnv = nonEmpty(env[CONTROL_SOCKET_ENV]);
  if (fromEnv !== undefined) return { path: fromEnv, source: 'env' };
  const fromConfig = nonEmpty(configured);
  if (fromConfig !== undefined) return { path: fromConfig, source: 'config' };
  const uid = process.getuid?.() ?? 0;
  return { path: join(tmpdir(), `ringmaster-${uid}.sock`), source: 'default' };
}

/**
 * The control socket path: env RINGMASTER_CONTROL_SOCKET, else the config's
 * control_socket, else `${os.tmpdir()}/ringmaster-${uid}.sock`.
 */
export function controlSocketPath(env: NodeJS.ProcessEnv, configured?: string): string {
  return locateControlSocket(env, configured).path;
}

/** "from RINGMASTER_CONTROL_SOCKET", for messages. */
export function describeSource(source: ControlSocketSource): string {
  switch (source) {
    case 'env':
      return `from ${CONTROL_SOCKET_ENV}`;
    case 'config':
      return 'from the config (control_socket)';
    case 'default':
      return `the default, ${join(tmpdir(), 'ringmaster-UID.sock')}`;
    default: {
      const never: never = source;
      return never;
    }
  }
}
