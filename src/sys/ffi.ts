/**
 * The single FFI module: every libc function ringmaster calls, declared once, loaded on
 * first use (a mode that needs none of them never loads koffi). Wrappers in libc.ts and
 * socket.ts turn -1/errno into SysError; nothing else imports koffi.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any */
type Fn = (...args: any[]) => any;

export interface Libc {
  /** errno of the last call made through koffi on this thread */
  errno(): number;
  waitpid: Fn;
  waitid: Fn;
  prctl: Fn;
  signal: Fn;
  close: Fn;
  getsid: Fn;
  socket: Fn;
  setsockopt: Fn;
  bind: Fn;
  listen: Fn;
  getsockname: Fn;
  prlimit: Fn;
  sendto: Fn;
  ioctl: Fn;
  setpgid: Fn;
  tcsetpgrp: Fn;
  execvp: Fn;
  fcntl: Fn;

  // --- peer credentials of a connected unix socket (the control socket's audit log) ---
  getsockopt: Fn;
  // Signal mask and dispositions
  sigprocmask: Fn;
  /** address of a libc function that does nothing to any state: a handler that discards */
  discardHandler(): number;
  // --- notify sockets: datagrams with their sender's credentials (notify-socket.ts) ---
  recvmsg: Fn;
  /** where a Buffer's memory is, for a struct msghdr that points at it */
  address(buf: Buffer): bigint;
}

let loaded: Libc | undefined;
let discard: number | undefined;

export function libc(): Libc {
  if (loaded) return loaded;
  const koffi = requireHere('koffi');
  const lib = koffi.load('libc.so.6');
  loaded = {
    errno: () => koffi.errno() as number,
    waitpid: lib.func('int waitpid(int pid, int *status, int options)'),
    waitid: lib.func('int waitid(int idtype, uint32_t id, void *infop, int options)'),
    // prctl is variadic; every option we use takes unsigned longs, passed in registers.
    prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
    // SIG_IGN is the integer 1; intptr_t is ABI-compatible with the handler pointer.
    signal: lib.func('intptr_t signal(int signum, intptr_t handler)'),
    close: lib.func('int close(int fd)'),
    getsid: lib.func('int getsid(int pid)'),
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)'),
    bind: lib.func('int bind(int fd, void *addr, uint32_t len)'),
    listen: lib.func('int listen(int fd, int backlog)'),
    getsockname: lib.func('int getsockname(int fd, void *addr, _Inout_ uint32_t *len)'),
    prlimit: lib.func('int prlimit(int pid, int resource, void *newLimit, void *oldLimit)'),
    sendto: lib.func('intptr_t sendto(int fd, void *buf, uintptr_t len, int flags, void *addr, uint32_t addrlen)'),
    // ioctl is variadic; TIOCNOTTY takes no argument, an unsigned long in a register is harmless.
    ioctl: lib.func('int ioctl(int fd, unsigned long request, unsigned long arg)'),
    setpgid: lib.func('int setpgid(int pid, int pgid)'),
    tcsetpgrp: lib.func('int tcsetpgrp(int fd, int pgrp)'),
    // argv: a JS array of strings ending in null.
    execvp: lib.func('int execvp(const char *file, const char **argv)'),
    // fcntl is variadic; F_SETFD takes an int, passed in a register.
    fcntl: lib.func('int fcntl(int fd, int cmd, int arg)'),

    // --- peer credentials of a connected unix socket (the control socket's audit log) ---
    // SO_PEERCRED fills a struct ucred { pid_t pid; uid_t uid; gid_t gid; } (12 bytes).
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *len)'),
    // Signal mask and dispositions. sigset_t is glibc's 128 bytes; the kernel reads the first 8.
    sigprocmask: lib.func('int sigprocmask(int how, void *set, void *oldset)'),
    // int abs(int): four instructions that touch one register and no memory (not errno),
    // so it is safe as a handler void(int) on x86_64 and aarch64 (argument and result in
    // registers the caller saves). Looked up once.
    discardHandler: () => (discard ??= Number(koffi.address(lib.symbol('abs')))),
    // --- notify sockets: datagrams with their sender's credentials (notify-socket.ts) ---
    // The struct msghdr is a Buffer laid out by hand (its pointers from address()).
    recvmsg: lib.func('intptr_t recvmsg(int fd, void *msg, int flags)'),
    address: (buf: Buffer) => koffi.address(buf) as bigint,
  };
  return loaded;
}
