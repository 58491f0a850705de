/**
 * Listening sockets made through libc, so that no Node handle ever wraps them: the
 * init's event loop never accepts a connection, workers inherit the fd and accept on it
 * directly. Node's net module cannot bind without also starting to accept.
 *
 * Every fd is created close-on-exec: it reaches a worker only when spawn places it in
 * the worker's stdio array (dup2 clears the flag on the copy).
 */
import { constants as osConstants, endianness as osEndianness } from 'node:os';
import { libc as sock } from './ffi.js';
import { SysError } from './libc.js';
import { SUN_PATH_BYTES } from './sun-path.js';

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_BINDTODEVICE = 25;
const SO_REUSEPORT = 15;
const IPPROTO_IPV6 = 41;
const IPV6_V6ONLY = 26;

/** r, or a SysError for `syscall` when r is -1. */
export function check(r: number, syscall: string, detail?: string): number {
  if (r < 0) throw new SysError(syscall, sock().errno(), detail);
  return r;
}

export type SockAddr =
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number; scopeId?: number }
  | { family: 'unix'; path: string };

function ipv4Bytes(address: string): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new SysError('inet_pton', osConstants.errno.EINVAL, address);
  }
  return Buffer.from(parts);
}

/** Parse an IPv6 address (with :: and an optional trailing IPv4 part) into 16 bytes. */
export function ipv6Bytes(address: string): Buffer {
  const bad = (): never => {
    throw new SysError('inet_pton', osConstants.errno.EINVAL, address);
  };
  let a = address;
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  const out = Buffer.alloc(16);
  const halves = a.split('::');
  if (halves.length > 2) bad();
  const toGroups = (s: string): number[] => {
    if (s === '') return [];
    const groups: number[] = [];
    const words = s.split(':');
    words.forEach((w, i) => {
      if (i === words.length - 1 && w.includes('.')) {
        const b = ipv4Bytes(w);
        groups.push(((b[0] as number) << 8) | (b[1] as number), ((b[2] as number) << 8) | (b[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(w)) bad();
        groups.push(Number.parseInt(w, 16));
      }
    });
    return groups;
  };
  const head = toGroups(halves[0] as string);
  const tail = halves.length === 2 ? toGroups(halves[1] as string) : [];
  if (halves.length === 1 && head.length !== 8) bad();
  if (head.length + tail.length > (halves.length === 2 ? 7 : 8)) bad();
  const groups = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Encode a struct sockaddr. A unix path starting with '@' is in the abstract namespace. */
export function encodeSockAddr(addr: SockAddr): Buffer {
  switch (addr.family) {
    case 'inet': {
      const b = Buffer.alloc(16);
      b.writeUInt16LE(AF_INET, 0);
      b.writeUInt16BE(addr.port, 2);
      ipv4Bytes(addr.address).copy(b, 4);
      return b;
    }
    case 'inet6': {
      const b = Buffer.alloc(28);
      b.writeUInt16LE(AF_INET6, 0);
      b.writeUInt16BE(addr.port, 2);
      ipv6Bytes(addr.address).copy(b, 8);
      b.writeUInt32LE(addr.scopeId ?? 0, 24);
      return b;
    }
    case 'unix': {
      const abstract = addr.path.startsWith('@');
      const name = Buffer.from(abstract ? addr.path.slice(1) : addr.path, 'utf8');
      // sun_path is 108 bytes; a filesystem path needs its trailing NUL, an abstract name its leading one.
      if (name.length > SUN_PATH_BYTES - 1) {
        throw new SysError('bind', osConstants.errno.ENAMETOOLONG, addr.path);
      }
      const len = 2 + (abstract ? 1 + name.length : name.length + 1);
      const b = Buffer.alloc(len);
      b.writeUInt16LE(AF_UNIX, 0);
      name.copy(b, abstract ? 3 : 2);
      return b;
    }
  }
}

export interface ListenOptions {
  type?: number;
  backlog?: number;
  reuseAddr?: boolean;
  reusePort?: boolean;
  v6only?: boolean;
  nonBlocking?: boolean;
  bindToDevice?: string;
  /** Bind only, do not listen (to reserve an SO_REUSEPORT port without receiving connections). */
  noListen?: boolean;
}

function setIntOpt(fd: number, level: number, name: number, value: number, what: string): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value, 0);
  check(sock().setsockopt(fd, level, name, v, 4), 'setsockopt', what);
}

/**
 * socket() + options + bind() + listen(). Returns the fd (close-on-exec). On any failure
 * the fd is closed and a SysError thrown (`code`: EADDRINUSE, EACCES, ENOENT, ...).
 */
export function bindAndListen(addr: SockAddr, opts: ListenOptions = {}): number {
  const domain = addr.family === 'inet' ? AF_INET : addr.family === 'inet6' ? AF_INET6 : AF_UNIX;
  const type = (opts.type ?? SOCK_STREAM) | SOCK_CLOEXEC | (opts.nonBlocking === false ? 0 : SOCK_NONBLOCK);
  const fd = check(sock().socket(domain, type, 0), 'socket');
  try {
    if (domain !== AF_UNIX) {
      if (opts.reuseAddr !== false) setIntOpt(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'SO_REUSEADDR');
      if (opts.reusePort) setIntOpt(fd, SOL_SOCKET, SO_REUSEPORT, 1, 'SO_REUSEPORT');
      if (domain === AF_INET6 && opts.v6only !== undefined) setIntOpt(fd, IPPROTO_IPV6, IPV6_V6ONLY, opts.v6only ? 1 : 0, 'IPV6_V6ONLY');
      if (opts.bindToDevice) {
        const dev = Buffer.from(`${opts.bindToDevice}\0`, 'utf8');
        check(sock().setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length), 'setsockopt', 'SO_BINDTODEVICE');
      }
    }
    const sa = encodeSockAddr(addr);
    check(sock().bind(fd, sa, sa.length), 'bind');
    const t = opts.type ?? SOCK_STREAM;
    if (!opts.noListen && (t === SOCK_STREAM || t === SOCK_SEQPACKET)) check(sock().listen(fd, opts.backlog ?? 2048), 'listen');
    return fd;
  } catch (err) {
    sock().close(fd);
    throw err;
  }
}

/** The local port of a bound inet/inet6 socket (for port 0). */
export function localPort(fd: number): number {
  const b = Buffer.alloc(128);
  const len = [b.length];
  check(sock().getsockname(fd, b, len), 'getsockname');
  return b.readUInt16BE(2);
}

/** listen() again on a listening socket: Linux takes the new backlog, the queue stays. */
export function relisten(fd: number, backlog: number): void {
  check(sock().listen(fd, backlog), 'listen', String(fd));
}

const IPPROTO_TCP = 6;
const TCP_INFO = 11;
const TCP_LISTEN = 10;

/**
 * The backlog the kernel keeps for a listening TCP socket (sk_max_ack_backlog, already
 * capped at net.core.somaxconn: what `ss -lt` shows as Send-Q), whoever called listen() on
 * it last; undefined when `fd` is not a listening TCP socket. For a LISTEN socket
 * getsockopt(TCP_INFO) reports it in tcpi_sacked (tcp_get_info), at byte 28 of struct
 * tcp_info (8 one-byte fields, then tcpi_rto, ato, snd_mss, rcv_mss, unacked, sacked), so
 * no netlink socket is needed.
 */
export function listenBacklog(fd: number): number | undefined {
  const b = Buffer.alloc(104);
  const len = [b.length];
  if (sock().getsockopt(fd, IPPROTO_TCP, TCP_INFO, b, len) !== 0) return undefined;
  if ((len[0] ?? 0) < 32 || b[0] !== TCP_LISTEN) return undefined;
  return osEndianness() === 'LE' ? b.readUInt32LE(28) : b.readUInt32BE(28);
}

export function closeSocket(fd: number): void {
  check(sock().close(fd), 'close', String(fd));
}

/** Close each fd that is still open; one closed already (EBADF) is no error here. */
export function closeSockets(fds: Iterable<number>): void {
  for (const fd of fds) {
    try {
      closeSocket(fd);
    } catch {
      // closed already
    }
  }
}

/** Send one datagram to the unix socket at `path` ('@name': abstract): the sd_notify() of a worker. */
export function sendDatagram(path: string, text: string): void {
  const fd = check(sock().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'socket');
  try {
    const sa = encodeSockAddr({ family: 'unix', path });
    const data = Buffer.from(text, 'utf8');
    check(Number(sock().sendto(fd, data, data.length, 0, sa, sa.length)), 'sendto', path);
  } finally {
    sock().close(fd);
  }
}
