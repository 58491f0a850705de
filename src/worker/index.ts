/**
 * `ringmaster/worker`: what a worker process uses. The sockets it inherited, by name, and
 * the systemd notify protocol (ready, stopping, status, watchdog) toward ringmaster, or
 * systemd, or anything else that sets NOTIFY_SOCKET.
 *
 * It imports nothing of the init. Under ringmaster it loads no FFI either: messages go on
 * the stream channel (RINGMASTER_NOTIFY_STREAM, notify-stream.ts) and the backlog comes from
 * RINGMASTER_BACKLOGS. Only with a bare NOTIFY_SOCKET (systemd, another supervisor) does it
 * load the FFI declarations, on the first notify, to send datagrams.
 * Every function is a no-op returning false when there is nobody to tell.
 */
export interface InheritedSocket {
  name: string;
  fd: number;
}

/**
 * The sockets handed to this process: from LISTEN_FDS/LISTEN_FDNAMES (fds 3, 4, ...),
 * ignored when LISTEN_PID names another process (they were meant for it).
 */
export function sockets(env: NodeJS.ProcessEnv = process.env, pid = process.pid): InheritedSocket[] {
  const n = Number(env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0) return [];
  if (env.LISTEN_PID !== undefined && env.LISTEN_PID !== '' && Number(env.LISTEN_PID) !== pid) return [];
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  return Array.from({ length: n }, (_, i) => ({ name: names[i] || `fd${3 + i}`, fd: 3 + i }));
}

/** The fd of socket `name`, or of the first inherited socket when no name is given. */
export function socketFd(name?: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const all = sockets(env);
  if (name === undefined) return all[0]?.fd;
  return all.find((s) => s.name === name)?.fd;
}

/**
 * The backlog of inherited listening socket `fd`: ringmaster's `backlog` for it, from
 * RINGMASTER_BACKLOGS (one entry per LISTEN_FDS socket, ':'-separated, empty for a socket
 * that does not listen); without it (not started by ringmaster), what the kernel holds for
 * a TCP listener (TCP_INFO, through the FFI); else undefined. A server that calls listen()
 * again on the fd, as Node's listen({fd}) does, should pass it: Node's default (511) would
 * replace it for every worker on the socket. The kernel caps either at net.core.somaxconn.
 */
export async function inheritedBacklog(fd: number, env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  // ringmaster said it for each of its sockets: no need to ask the kernel (nor load the FFI)
  if (env.RINGMASTER_BACKLOGS !== undefined && sockets(env).some((s) => s.fd === fd)) return configuredBacklog(fd, env);
  try {
    const { listenBacklog } = await import('../sys/socket.js');
    return listenBacklog(fd);
  } catch {
    return undefined;
  }
}

/** The entry of RINGMASTER_BACKLOGS for inherited socket `fd`, if it is a number. */
function configuredBacklog(fd: number, env: NodeJS.ProcessEnv): number | undefined {
  const v = (env.RINGMASTER_BACKLOGS ?? '').split(':')[fd - 3] ?? '';
  return /^\d{1,10}$/.test(v) ? Number(v) : undefined;
}

/** The worker id ringmaster gave this process (1..numprocesses), if any. */
export function workerId(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const w = Number(env.RINGMASTER_WID);
  return Number.isInteger(w) && w > 0 ? w : undefined;
}

/**
 * Send raw notify assignments ("READY=1\nSTATUS=up"): on RINGMASTER_NOTIFY_STREAM when
 * ringmaster gives one, else (or when that fails) as a datagram to NOTIFY_SOCKET. Returns
 * false when neither is set or the message could not be sent (the supervisor went away):
 * never throws.
 */
export async function notify(state: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const stream = env.RINGMASTER_NOTIFY_STREAM;
  if (stream) {
    const { sendStream } = await import('./notify-stream.js');
    if (await sendStream(stream, state)) return true;
  }
  const path = env.NOTIFY_SOCKET;
  if (!path) return false;
  try {
    const { sendDatagram } = await import('../sys/socket.js');
    sendDatagram(path, state);
    return true;
  } catch {
    return false;
  }
}

/** Tell the supervisor this worker is ready to serve (READY=1), with an optional status line. */
export function ready(statusText?: string): Promise<boolean> {
  return notify(statusText === undefined ? 'READY=1' : `READY=1\nSTATUS=${statusText}`);
}

/** Tell the supervisor this worker is shutting down (STOPPING=1): it is no longer counted as ready. */
export function stopping(): Promise<boolean> {
  return notify('STOPPING=1');
}

/** A free-form status line, shown by the supervisor. */
export function status(text: string): Promise<boolean> {
  return notify(`STATUS=${text.replace(/\n/g, ' ')}`);
}

/** One watchdog keep-alive (WATCHDOG=1). */
export function watchdog(): Promise<boolean> {
  return notify('WATCHDOG=1');
}

/** Milliseconds between watchdog pings the supervisor expects (half of WATCHDOG_USEC), or undefined. */
export function watchdogInterval(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/**
 * Ping the watchdog at half its interval for as long as the event loop turns (a blocked
 * loop stops the pings: that is the point). The timer does not keep the process alive.
 * Returns a function that stops it.
 */
export function startWatchdog(): () => void {
  const every = watchdogInterval();
  if (every === undefined) return () => {};
  const t = setInterval(() => void watchdog(), every);
  t.unref();
  return () => clearInterval(t);
}
