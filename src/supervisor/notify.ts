/**
 * The systemd notify protocol, worker side of the init: each worker gets a unix datagram
 * socket of its own (abstract namespace, so no file to clean up and no directory that a
 * non-root worker cannot reach), named in its NOTIFY_SOCKET. Messages are newline-separated
 * KEY=VALUE assignments: READY=1, STOPPING=1, STATUS=..., WATCHDOG=1, MAINPID=N.
 *
 * Node cannot wait on a datagram socket, so the channel is drained when the watcher polls:
 * every 10 ms while a worker has not said READY=1 yet, and more slowly afterwards for the
 * watchdog. A socket of one's own per worker also says who sent a message, without
 * SCM_CREDENTIALS.
 */
import { randomBytes } from 'node:crypto';
import { bindDatagram, closeSocket, drainDatagrams } from '../sys/socket.js';

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

let sequence = 0;

const newToken = (): string => randomBytes(6).toString('hex');
let token = newToken();

export class NotifyChannel {
  readonly path: string;
  readonly #fd: number;
  #closed = false;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /**
   * A new channel with a unique abstract name. Abstract names are shared by every process of
   * a network namespace, and the containers of a Kubernetes pod share one while each has its
   * own PID namespace (where ringmaster is PID 1 in all of them): so the name carries a
   * random token, not our pid, and a clash, however unlikely, draws a new token.
   */
  static create(label: string): NotifyChannel {
    const name = label.replace(/[^\w.-]/g, '_');
    for (let attempt = 0; ; attempt++) {
      const path = `@ringmaster/${token}/${name}/${++sequence}`;
      try {
        return new NotifyChannel(path, bindDatagram(path));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw err;
        token = newToken();
      }
    }
  }

  /** Every message received since the last call. */
  drain(): NotifyMessage[] {
    if (this.#closed) return [];
    try {
      return drainDatagrams(this.#fd).map(parseNotify);
    } catch {
      return [];
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      closeSocket(this.#fd);
    } catch {
      // already closed
    }
  }
}
