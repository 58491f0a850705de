/**
 * The control socket's file: what may be replaced before binding, how it is bound so that it
 * is never wider than 0600, and removing it (only if it is still ours) at close.
 *
 * Whoever can connect to the control socket can stop, signal and scale every worker, so
 * the file mode is the whole access control: owner only.
 */
import type { Server } from 'node:net';
import { chmodSync, existsSync, lstatSync, unlinkSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { RingmasterError } from '../errors/codes.js';
import { request, ControlClientError } from './client.js';
import { describeUid, kindOf, unsafeDirectory } from './private-dir.js';

/** sun_path is 108 bytes on Linux, with the terminating NUL. */
const MAX_PATH_BYTES = 107;

/** How long to wait for a live socket to say who it is before refusing anyway. */
const PROBE_TIMEOUT_MS = 2000;

const FIX = 'set RINGMASTER_CONTROL_SOCKET or control_socket to another path';

function socketError(message: string, cause?: unknown): RingmasterError {
  return new RingmasterError('RM_SOCKET', message, cause === undefined ? undefined : { cause });
}


/** Paths that bind() would reject, or silently truncate, or that could not carry a mode. */
export function checkSocketPath(path: string): void {
  if (path.startsWith('\0') || path.startsWith('@')) {
    throw socketError(`control socket "${path.replace('\0', '@')}" is an abstract socket, which has no file mode, so anyone in the network namespace could control ringmaster; ${FIX} (a file path)`);
  }
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_PATH_BYTES) {
    throw socketError(`control socket path ${path} is ${bytes} bytes, more than a unix socket allows (${MAX_PATH_BYTES}); ${FIX} (a shorter one)`);
  }
}

/**
 * Make way for binding at `path`. Its directory, and each one above, must be writable by
 * this user (or root) alone (see unsafeDirectory). Then nothing at the path is fine; a
 * socket of this user that nobody listens on is stale (left by a ringmaster that was
 * killed) and is removed; anything else is refused, naming its owner, so that a second
 * init never takes the socket of a first one that still runs, nor deletes a file it does
 * not own. Stale is told from live by connecting: the kernel refuses a connection
 * (ECONNREFUSED) to a socket file whose listener is gone; a live ringmaster answers status.
 */
export async function clearStaleSocket(path: string, log: Logger): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  const dirProblem = unsafeDirectory(dirname(path), { uid, gid: process.getgid?.() ?? 0 });
  if (dirProblem !== undefined) throw socketError(`cannot use the control socket ${path}: ${dirProblem}; ${FIX} in a directory only ${describeUid(uid)} can write`);
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw socketError(`cannot check the control socket path ${path}: ${(err as Error).message}; ${FIX}`, err);
  }
  if (!st.isSocket()) {
    throw socketError(`control socket path ${path} exists and is a ${kindOf(st)} that belongs to ${describeUid(st.uid)}, not a socket; remove it or ${FIX}`);
  }
  if (st.uid !== uid) {
    // Not ours: replacing it would be taking over a path someone else planted or uses.
    throw socketError(`control socket ${path} belongs to ${describeUid(st.uid)}, not to this process (${describeUid(uid)}); remove it or ${FIX}`);
  }
  try {
    const reply = await request(path, { cmd: 'status' }, PROBE_TIMEOUT_MS);
    const pid = reply.ok ? (reply.result as { pid?: unknown } | null)?.pid : undefined;
    throw socketError(
      `another ringmaster${typeof pid === 'number' ? ` (pid ${pid})` : ''} is listening on the control socket ${path}; stop it, or ${FIX}`,
    );
  } catch (err) {
    if (!(err instanceof ControlClientError)) throw err;
    if (err.code === 'RM_CTL_UNREACHABLE' && err.errno === 'ENOENT') return; // gone meanwhile
    if (err.code !== 'RM_CTL_UNREACHABLE' || err.errno !== 'ECONNREFUSED') {
      throw socketError(`something is listening on the control socket ${path} but does not answer as ringmaster (${err.message}); stop it, or ${FIX}`, err);
    }
  }
  try {
    unlinkSync(path);
    log.info('removed a stale control socket', { path });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw socketError(`cannot remove the stale control socket ${path}: ${(err as Error).message}; remove it or ${FIX}`, err);
    }
  }
}

/** libuv reports a missing directory as EACCES when binding a pipe, so look for ourselves. */
function whyNot(path: string, err: NodeJS.ErrnoException): string {
  if (err.code !== 'EACCES' && err.code !== 'ENOENT') return err.message;
  const dir = dirname(path);
  if (!existsSync(dir)) return `its directory ${dir} does not exist`;
  return `no permission to create a file in ${dir}`;
}

/**
 * listen() on `path` with the file created as 0600. The file's mode is 0777 & ~umask at
 * bind(), so chmod afterwards would leave a window in which anyone may connect; instead the
 * umask is 0177 for the bind. In the primary process Node binds a pipe synchronously inside
 * listen() (`exclusive` keeps cluster from deferring it to the primary), so the umask is
 * restored before any other JavaScript, such as a worker spawn, runs. Resolves with the
 * socket file's inode, to recognise the file at close.
 */
export function listenPrivately(server: Server, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(socketError(`cannot listen on the control socket ${path}: ${whyNot(path, err)}; ${FIX}`, err));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      try {
        const st = lstatSync(path);
        // Belt and braces for file systems that ignore the umask for sockets.
        if ((st.mode & 0o777) !== 0o600) chmodSync(path, 0o600);
        resolve(st.ino);
      } catch (err) {
        server.close();
        reject(socketError(`the control socket ${path} vanished right after listen(): ${(err as Error).message}`, err));
      }
    });
    const old = process.umask(0o177);
    try {
      server.listen({ path, exclusive: true });
    } finally {
      process.umask(old);
    }
  });
}

/** Remove the socket file, unless it is gone or another process has replaced it since. */
export function unlinkIfOurs(path: string, ino: number): void {
  try {
    if (lstatSync(path).ino === ino) unlinkSync(path);
  } catch {
    // already gone (libuv unlinks a pipe it bound when it closes it)
  }
}
