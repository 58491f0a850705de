/**
 * Who may speak for a worker on its notify socket: the worker itself or one of its
 * descendants, as systemd's NotifyAccess=all allows the processes of a unit's cgroup. The
 * socket's abstract name is listed in /proc/net/unix for every process of the network
 * namespace (in Kubernetes, every container of the pod), so the name alone proves nothing;
 * the kernel's SCM_CREDENTIALS pid of each datagram does.
 *
 * How "descendant" is checked, cheapest first:
 *
 * 1. The sender is the worker's pid.
 * 2. The sender's session is the worker's pid (getsid, one system call). Every worker is
 *    spawned as the leader of a session of its own, and a session is only ever entered by
 *    fork() from one of its members: every process in it descends from the worker,
 *    including one whose parent died and that was reparented to the init (which a walk up
 *    the parent chain would lose). The kernel does not hand a pid out again while it still
 *    names a session, so a stale session of an earlier process with the same pid cannot
 *    exist while the worker runs.
 * 3. Otherwise (a descendant that called setsid(), a daemon of the worker): its ancestry,
 *    /proc/PID/stat's ppid, up to MAX_ANCESTRY levels, must reach the worker's pid. One of
 *    those that was also reparented to the init is refused: nothing links it to the worker
 *    any more.
 *
 * The process group needs no check of its own: a group never spans two sessions. The
 * session check is one system call; each level of the walk is one /proc read (about ten
 * times dearer), so a stranger costs the most: one drain judges each sender pid once.
 *
 * Left open, as in systemd: the pid is checked when the datagram is read, not when it was
 * sent. A sender that has exited by then is refused: `systemd-notify` (since systemd 246,
 * unless --no-block) waits until its message is read, by passing a pipe with BARRIER=1
 * that the kernel closes when we read that datagram (we never keep passed fds); a helper
 * that just sends and exits loses the race. A sender whose pid was reused in between could
 * be misjudged, which a hostile sender cannot arrange at will (SO_PASSPIDFD, Linux 6.5,
 * would close that gap). A sender with CAP_SYS_ADMIN may claim any pid: root can do
 * anything to the init anyway.
 */

/** What the check reads about other processes (the kernel, or a table in tests). */
export interface ProcessTable {
  /** the session id of `pid`, undefined when it is gone */
  sessionOf(pid: number): number | undefined;
  /** the parent pid of `pid`, undefined when it is gone */
  parentOf(pid: number): number | undefined;
  /** the init's own pid: the walk stops there (its workers' parent) */
  self: number;
}

/** Deep enough for worker -> shell -> interpreter -> helper chains; bounds what a hostile sender costs. */
export const MAX_ANCESTRY = 16;

export type SenderVerdict =
  | { ok: true; via: 'self' | 'session' | 'ancestry' }
  | { ok: false; why: RefusedWhy };

const NOT_VISIBLE = 'the sender is outside the PID namespace of the init';
const GONE = 'the sender had exited before its message was read';
const STRANGER = 'the sender is not the worker or one of its descendants';
export type RefusedWhy = typeof NOT_VISIBLE | typeof GONE | typeof STRANGER;

/** Whether `sender` (an SCM_CREDENTIALS pid) is worker `worker` or one of its descendants. */
export function judgeSender(sender: number, worker: number | undefined, procs: ProcessTable): SenderVerdict {
  // pid 0: a process of a PID namespace we cannot see (another container), or no credentials.
  if (sender <= 0 || worker === undefined) return { ok: false, why: NOT_VISIBLE };
  if (sender === worker) return { ok: true, via: 'self' };
  const session = procs.sessionOf(sender);
  if (session === undefined) return { ok: false, why: GONE };
  if (session === worker) return { ok: true, via: 'session' };
  let p: number | undefined = sender;
  for (let depth = 0; depth < MAX_ANCESTRY; depth++) {
    p = procs.parentOf(p);
    if (p === undefined) return { ok: false, why: depth === 0 ? GONE : STRANGER };
    if (p === worker) return { ok: true, via: 'ancestry' };
    if (p <= 1 || p === procs.self) break;
  }
  return { ok: false, why: STRANGER };
}
