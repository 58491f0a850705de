/**
 * The init's end of a notify socket: a non-blocking unix datagram socket that asks the
 * kernel to attach each sender's credentials (SO_PASSCRED), read one datagram at a time
 * with recvmsg() and its SCM_CREDENTIALS.
 *
 * What the kernel guarantees: with SO_PASSCRED on the receiving socket, every datagram
 * carries the pid, uid and gid of the process that sent it, whether or not the sender asked
 * (so sd_notify() senders, ringmaster/worker included, need no change). An unprivileged
 * sender cannot claim another pid or uid (only CAP_SYS_ADMIN / CAP_SETUID can). The pid is
 * the sender's process id as seen from the receiver's PID namespace, and 0 when the sender
 * lives in a PID namespace the receiver cannot see (another container of the pod).
 *
 * The control buffer has room for the credentials and nothing more: file descriptors that a
 * sender attaches (SCM_RIGHTS) are then never installed in the init (the kernel drops them
 * and sets MSG_CTRUNC); any that still arrive are closed at once, so a sender cannot fill our fd table.
 */
import { constants as osConstants } from 'node:os';
import { libc } from './ffi.js';
import { SysError } from './libc.js';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOL_SOCKET, check, encodeSockAddr } from './socket.js';

const SO_PASSCRED = 16;
const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const MSG_CMSG_CLOEXEC = 0x40000000;

/**
 * The largest notify message read whole (systemd's limit too: PIPE_BUF). A longer one is
 * cut by the kernel and reported as `truncated`.
 */
export const NOTIFY_DATAGRAM_MAX = 4096;

/** One datagram and who sent it. */
export interface Datagram {
  text: string;
  /** the sender's pid in our PID namespace; 0: not visible from here (or no credentials) */
  pid: number;
  uid: number;
  gid: number;
  /** longer than NOTIFY_DATAGRAM_MAX: `text` is only its beginning */
  truncated: boolean;
}

/** A non-blocking, close-on-exec unix datagram socket bound at `path` ('@name': abstract), with SO_PASSCRED. */
export function bindNotifySocket(path: string): number {
  const c = libc();
  const fd = check(c.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), 'socket');
  try {
    // Before bind(): no datagram can be queued without credentials.
    const one = Buffer.alloc(4);
    one.writeInt32LE(1, 0);
    check(c.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4), 'setsockopt', 'SO_PASSCRED');
    const sa = encodeSockAddr({ family: 'unix', path });
    check(c.bind(fd, sa, sa.length), 'bind', path);
    return fd;
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

// 64-bit Linux layouts (x86_64 and aarch64 alike):
//   struct msghdr  { void *name; socklen_t namelen; struct iovec *iov; size_t iovlen;
//                    void *control; size_t controllen; int flags; }     offsets 0 8 16 24 32 40 48
//   struct iovec   { void *base; size_t len; }                          offsets 0 8
//   struct cmsghdr { size_t len; int level; int type; } then the data    offsets 0 8 12, data 16
//   struct ucred   { pid_t pid; uid_t uid; gid_t gid; }
const CMSG_HDR = 16;
/** CMSG_SPACE(sizeof(struct ucred)): the credentials, and no room for anything else */
const CONTROL_SIZE = CMSG_HDR + 16;

interface Buffers {
  msg: Buffer;
  data: Buffer;
  control: Buffer;
  /** only pointed at by msg: held here so that it lives as long */
  iov: Buffer;
}

let buffers: Buffers | undefined;

/**
 * One set of buffers for every socket: calls are synchronous, so they are never shared by
 * two calls at once. Buffer.alloc gives each its own ArrayBuffer, whose memory V8 never
 * moves: the addresses written into the msghdr stay valid for the life of the process.
 */
function getBuffers(): Buffers {
  if (buffers) return buffers;
  const c = libc();
  const data = Buffer.alloc(NOTIFY_DATAGRAM_MAX);
  const control = Buffer.alloc(CONTROL_SIZE);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(c.address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const msg = Buffer.alloc(56);
  msg.writeBigUInt64LE(c.address(iov), 16);
  msg.writeBigUInt64LE(1n, 24);
  msg.writeBigUInt64LE(c.address(control), 32);
  buffers = { msg, data, control, iov };
  return buffers;
}

/**
 * The next datagram queued on `fd` with its sender's credentials, or null when none is
 * queued (never waits). A datagram without credentials (impossible with SO_PASSCRED set
 * before bind) comes back with pid 0. Throws SysError for other errors.
 */
export function receiveDatagram(fd: number): Datagram | null {
  const c = libc();
  const { msg, data, control } = getBuffers();
  // recvmsg writes back controllen and flags: reset them for each call.
  msg.writeBigUInt64LE(BigInt(CONTROL_SIZE), 40);
  msg.writeInt32LE(0, 48);
  control.fill(0);
  const n = Number(c.recvmsg(fd, msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC));
  if (n < 0) {
    const errno = c.errno();
    if (errno === osConstants.errno.EAGAIN || errno === osConstants.errno.EWOULDBLOCK) return null;
    throw new SysError('recvmsg', errno, String(fd));
  }
  const flags = msg.readInt32LE(48);
  const controlLen = Math.min(Number(msg.readBigUInt64LE(40)), CONTROL_SIZE);
  const out: Datagram = {
    text: data.toString('utf8', 0, Math.min(n, data.length)),
    pid: 0,
    uid: -1,
    gid: -1,
    truncated: (flags & MSG_TRUNC) !== 0,
  };
  let off = 0;
  while (off + CMSG_HDR <= controlLen) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < CMSG_HDR || off + len > controlLen) break;
    const level = control.readInt32LE(off + 8);
    const type = control.readInt32LE(off + 12);
    if (level === SOL_SOCKET && type === SCM_CREDENTIALS && len >= CMSG_HDR + 12) {
      out.pid = control.readInt32LE(off + CMSG_HDR);
      out.uid = control.readUInt32LE(off + CMSG_HDR + 4);
      out.gid = control.readUInt32LE(off + CMSG_HDR + 8);
    } else if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      for (let p = off + CMSG_HDR; p + 4 <= off + len; p += 4) c.close(control.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
  return out;
}
