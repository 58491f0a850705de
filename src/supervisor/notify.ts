/**
 * The systemd notify protocol, worker side of the init: each worker gets a unix datagram
 * socket of its own (abstract namespace, so no file to clean up and no directory that a
 * non-root worker cannot reach), named in its NOTIFY_SOCKET. Messages are newline-separated
 * KEY=VALUE assignments: READY=1, STOPPING=1, STATUS=..., WATCHDOG=1, MAINPID=N. Beside it,
 * at the same name, a stream socket (RINGMASTER_NOTIFY_STREAM, notify-stream.ts) takes the
 * same assignments as lines from Node workers, which cannot send datagrams without an FFI.
 *
 * Node cannot wait on a datagram socket, so the channel is drained when the watcher polls:
 * every 10 ms while a worker has not said READY=1 yet, and more slowly afterwards for the
 * watchdog. Each drain reads at most MAX_PER_DRAIN datagrams (a flood waits in the kernel's
 * queue, bounded by net.unix.max_dgram_qlen, instead of holding up the event loop).
 *
 * Anyone in the network namespace can find the socket's name in /proc/net/unix and send to
 * it: a datagram counts only when the kernel says (SCM_CREDENTIALS) it comes from the worker
 * or one of its descendants (see notify-access.ts). Others are dropped and counted, and
 * reported at most once per REJECT_REPORT_MS per worker, so a flood cannot fill the log.
 */
import { getsid } from '../sys/libc.js';
import { NOTIFY_DATAGRAM_MAX, bindNotifySocket, receiveDatagram } from '../sys/notify-socket.js';
import { procStat } from '../sys/proc.js';
import { closeSocket } from '../sys/socket.js';
import { judgeSender, type ProcessTable, type SenderVerdict } from './notify-access.js';
import { NotifyStream, type StreamDrop } from './notify-stream.js';

export interface NotifyMessage {
  ready: boolean;
  stopping: boolean;
  watchdog: boolean;
  status: string | undefined;
  mainPid: number | undefined;
}

/** Parse one datagram; unknown keys are ignored, as systemd does. */
export function parseNotify(text: string): NotifyMessage {
  const m: NotifyMessage = { ready: false, stopping: false, watchdog: false, status: undefined, mainPid: undefined };
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'READY' && value === '1') m.ready = true;
    else if (key === 'STOPPING' && value === '1') m.stopping = true;
    else if (key === 'WATCHDOG' && value === '1') m.watchdog = true;
    else if (key === 'STATUS') m.status = value;
    else if (key === 'MAINPID' && /^\d+$/.test(value)) m.mainPid = Number(value);
  }
  return m;
}

/** Datagrams read by one drain of one channel, at most. */
export const MAX_PER_DRAIN = 64;
/** At most one report of dropped datagrams per worker in this many ms. */
export const REJECT_REPORT_MS = 10_000;

/** What one drain brought. */
export interface NotifyDrain {
  /** from the worker or its descendants, in the order received */
  messages: NotifyMessage[];
  /** dropped: the sender is not the worker nor one of its descendants */
  rejected: number;
  /** set at most once per REJECT_REPORT_MS: what was dropped since the last report */
  report: NotifyReport | undefined;
}

/** Datagrams dropped since the last report, and the first of them. */
export interface NotifyReport {
  /** how many were dropped (by sender, or as too long) */
  dropped: number;
  /** pid of the first one's sender (0: a process outside our PID namespace) */
  senderPid: number;
  senderUid: number;
  why: string;
}

/** The kernel's view of other processes, for judgeSender. */
const kernelProcesses: ProcessTable = {
  sessionOf(pid) {
    try {
      return getsid(pid);
    } catch {
      return undefined;
    }
  },
  parentOf: (pid) => procStat(pid)?.ppid,
  self: process.pid,
};

let sequence = 0;

// 48 random bits: the name needs to be unique, not secret (a sender is judged by its
// credentials, notify-access.ts), and node:crypto costs a start 17 modules.
const newToken = (): string => Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
let token = newToken();

export class NotifyChannel {
  readonly path: string;
  /** where the stream half listens: the same abstract name, another socket type */
  readonly streamPath: string;
  readonly #fd: number;
  readonly #stream: NotifyStream;
  readonly #procs: ProcessTable;
  /** stream connections refused since the last drain */
  #streamRefused = 0;
  #closed = false;

  private constructor(path: string, fd: number, procs: ProcessTable) {
    this.path = path;
    this.streamPath = path;
    this.#fd = fd;
    this.#procs = procs;
    try {
      this.#stream = new NotifyStream(path, procs, (d) => this.#streamDropped(d));
    } catch (err) {
      closeSocket(fd);
      throw err;
    }
  }

  /**
   * A new channel with a unique abstract name. Abstract names are shared by every process of
   * a network namespace, and the containers of a Kubernetes pod share one while each has its
   * own PID namespace (where ringmaster is PID 1 in all of them): so the name carries a
   * random token, not our pid, and a clash, however unlikely, draws a new token.
   */
  static create(label: string, procs: ProcessTable = kernelProcesses): NotifyChannel {
    const name = label.replace(/[^\w.-]/g, '_');
    for (let attempt = 0; ; attempt++) {
      const path = `@ringmaster/${token}/${name}/${++sequence}`;
      try {
        return new NotifyChannel(path, bindNotifySocket(path), procs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw err;
        token = newToken();
      }
    }
  }

  /**
   * Every message from the worker (pid `workerPid`) or its descendants received since the
   * last call, up to MAX_PER_DRAIN datagrams; `now` (ms) paces the reports of dropped ones.
   */
  drain(workerPid: number | undefined, now: number, procs: ProcessTable = this.#procs): NotifyDrain {
    const out: NotifyDrain = { messages: [], rejected: this.#streamRefused, report: undefined };
    this.#streamRefused = 0;
    if (this.#closed) return out;
    // A channel drained before attach() (a fake spawner): the stream learns the pid here.
    if (workerPid !== undefined) this.#stream.attach(workerPid);
    for (const line of this.#stream.take()) out.messages.push(parseNotify(line));
    // One verdict per sender and drain: a flood from one process costs one look-up.
    const verdicts = new Map<number, SenderVerdict>();
    for (let i = 0; i < MAX_PER_DRAIN; i++) {
      let d: ReturnType<typeof receiveDatagram>;
      try {
        d = receiveDatagram(this.#fd);
      } catch {
        break;
      }
      if (d === null) break;
      // Judged before the next datagram is read: a sender that waits for its message to be
      // read (systemd-notify's BARRIER=1) is still there to be looked at.
      let v = verdicts.get(d.pid);
      if (v === undefined) verdicts.set(d.pid, (v = judgeSender(d.pid, workerPid, procs)));
      if (!v.ok) {
        out.rejected++;
        this.#dropped(d, v.why);
      } else if (d.truncated) {
        // Cut by the kernel: its end (READY=1 perhaps) is lost; systemd ignores it too.
        this.#dropped(d, `the message is longer than ${NOTIFY_DATAGRAM_MAX} bytes`);
      } else {
        out.messages.push(parseNotify(d.text));
      }
    }
    out.report = this.#report(now);
    return out;
  }

  /** The worker's pid, right after its spawn: its stream connections are judged as they come. */
  attach(pid: number): void {
    this.#stream.attach(pid);
  }

  #streamDropped(d: StreamDrop): void {
    if (d.refused) this.#streamRefused++;
    this.#dropped(d, d.why);
  }

  #pending: Omit<NotifyReport, 'dropped'> | undefined;
  #pendingCount = 0;
  #lastReport = -Infinity;

  #dropped(d: { pid: number; uid: number }, why: string): void {
    this.#pendingCount++;
    this.#pending ??= { senderPid: d.pid, senderUid: d.uid, why };
  }

  /** What to log about dropped datagrams: the first at once, then one summary per REJECT_REPORT_MS. */
  #report(now: number): NotifyReport | undefined {
    if (this.#pending === undefined || now - this.#lastReport < REJECT_REPORT_MS) return undefined;
    const r: NotifyReport = { ...this.#pending, dropped: this.#pendingCount };
    this.#pending = undefined;
    this.#pendingCount = 0;
    this.#lastReport = now;
    return r;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream.close();
    try {
      closeSocket(this.#fd);
    } catch {
      // already closed
    }
  }
}
