/**
 * Who is at the other end of a connected unix socket: SO_PEERCRED, the pid, uid and gid of
 * the process that called connect(), as the kernel recorded them at that moment (they do
 * not change if the peer later changes user or passes the fd on). Node has no API for it.
 */
import type { Socket } from 'node:net';
import { libc } from './ffi.js';
import { SysError } from './libc.js';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const UCRED_SIZE = 12;

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** SO_PEERCRED of a connected unix socket's fd. Throws SysError (EBADF, ENOTSOCK, ...). */
export function peerCredentials(fd: number): PeerCredentials {
  const c = libc();
  const buf = Buffer.alloc(UCRED_SIZE);
  const len = [UCRED_SIZE];
  if (c.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, buf, len) < 0) throw new SysError('getsockopt', c.errno(), `SO_PEERCRED ${fd}`);
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}

/**
 * The fd under an accepted net.Socket, or undefined. Node keeps it on the libuv handle
 * (`socket._handle.fd`, a Pipe for unix sockets; checked on Node 20 and 24), not in its
 * public API; -1 or a missing handle means there is none to ask.
 */
export function socketFd(sock: Socket): number | undefined {
  const fd = (sock as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
