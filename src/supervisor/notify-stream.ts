/**
 * The stream half of a worker's notify channel: a unix stream socket at the datagram one's
 * abstract name (Linux keeps the two types' names apart), given in the worker's
 * RINGMASTER_NOTIFY_STREAM, and padded with NULs to the whole of sun_path (108 bytes): Node
 * 20 (libuv 1.46) binds and connects an abstract name with that length whatever the name's,
 * Node 22 and later with the length of the string they are given, so a client that pads the
 * name reaches the same address on every Node. Node has no unix datagram socket, so a Node worker
 * (ringmaster/worker, the preload, `ringmaster serve`) connects here with net.connect()
 * instead of loading an FFI to send datagrams. The messages are the datagram protocol's
 * assignments, one per line (READY=1\n, STATUS=...\n), written once ringmaster has said
 * "OK\n" on the connection: it says that when it takes it, and nothing else ever.
 *
 * Who may speak is judged as for datagrams (notify-access.ts), on the pid the kernel
 * recorded at connect() (SO_PEERCRED, which a sender cannot forge), once per connection, as
 * it is accepted: a stranger is closed before a byte of it is read. Until the worker's pid
 * is known (attach(), right after its spawn) connections wait unread, at most
 * MAX_UNJUDGED of them.
 *
 * Bounds, so that hostile or broken input costs the init little and never stalls it:
 * - MAX_CONNECTIONS accepted connections per worker (the worker and its descendants); a
 *   further one is closed at once;
 * - a line longer than NOTIFY_DATAGRAM_MAX bytes (the datagram limit) is dropped, and the
 *   bytes of it are not kept: a connection holds at most one partial line;
 * - at most MAX_PER_DRAIN lines wait between two drains; past that the connections stop
 *   being read (the kernel's socket buffer then fills and the sender waits), as a full
 *   datagram queue makes sd_notify() wait;
 * - no timer: a connection that stays open and silent (a worker between two messages)
 *   holds one fd and nothing else, and a half-closed one is closed by Node at its end.
 *
 * A connection's life:
 *
 *   accepted --pid known, sender ok--> reading --queue full--> paused --drain--> reading
 *      |  \--pid known, stranger / too many--> closed                  |
 *      \--MAX_UNJUDGED waiting already--> closed         reading/paused --end, error--> closed
 */
import net from 'node:net';
import { NOTIFY_DATAGRAM_MAX } from '../sys/notify-socket.js';
import { peerCredentials, socketFd } from '../sys/peercred.js';
import { bindAndListen, closeSockets, SOCK_STREAM } from '../sys/socket.js';
import { padToSunPath } from '../sys/sun-path.js';
import { judgeSender, type ProcessTable } from './notify-access.js';

/** Connections of the worker and its descendants open at once, at most. */
export const MAX_CONNECTIONS = 16;
/** Connections waiting for the worker's pid (before attach()), at most. */
export const MAX_UNJUDGED = 16;
/** Lines waiting between two drains, at most (MAX_PER_DRAIN of notify.ts). */
export const MAX_QUEUED = 64;
/** The kernel's queue of connections not yet accepted. */
const LISTEN_BACKLOG = 16;
const NEWLINE = 0x0a;
/** What ringmaster writes on a connection it has taken, and all it ever writes. */
export const ACCEPTED = 'OK\n';

/** A connection dropped or a line left out, for the channel's report. */
export interface StreamDrop {
  pid: number;
  uid: number;
  why: string;
  /** the sender was refused (not a line that was too long) */
  refused: boolean;
}

interface Peer {
  socket: net.Socket;
  pid: number;
  uid: number;
  /** the partial line received so far */
  partial: Buffer;
  /** within a line already too long: drop up to the next newline */
  skipping: boolean;
}

export class NotifyStream {
  readonly #server: net.Server;
  readonly #procs: ProcessTable;
  readonly #onDrop: (d: StreamDrop) => void;
  readonly #peers = new Set<Peer>();
  readonly #unjudged = new Set<Peer>();
  readonly #queue: string[] = [];
  #worker: number | undefined;
  #closed = false;

  /**
   * Listen at abstract `path` ('@name'). Throws SysError (EADDRINUSE...) synchronously, as
   * the datagram socket's bind does, so the channel can draw another name.
   */
  constructor(path: string, procs: ProcessTable, onDrop: (d: StreamDrop) => void) {
    this.#procs = procs;
    this.#onDrop = onDrop;
    const fd = bindAndListen({ family: 'unix', path: padToSunPath(path) }, { type: SOCK_STREAM, backlog: LISTEN_BACKLOG });
    this.#server = net.createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
    // EMFILE on accept and the like: the connection is lost, the init goes on.
    this.#server.on('error', () => {});
    try {
      // listen({fd}) calls listen() again: with our backlog, not Node's 511.
      this.#server.listen({ fd }, LISTEN_BACKLOG);
    } catch (err) {
      closeSockets([fd]);
      throw err;
    }
    this.#server.unref();
  }

  /** The worker's pid, once spawned: connections are judged from now on as they come. */
  attach(pid: number): void {
    if (this.#worker !== undefined) return;
    this.#worker = pid;
    for (const p of [...this.#unjudged]) {
      this.#unjudged.delete(p);
      this.#judge(p);
    }
  }

  /** The lines received since the last call (at most MAX_QUEUED), in order; reading goes on. */
  take(): string[] {
    const out = this.#queue.splice(0);
    for (const p of this.#peers) {
      if (this.#queue.length >= MAX_QUEUED) break;
      if (p.socket.isPaused()) {
        p.socket.resume();
        this.#lines(p, Buffer.alloc(0));
      }
    }
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const p of [...this.#peers, ...this.#unjudged]) p.socket.destroy();
    this.#peers.clear();
    this.#unjudged.clear();
  }

  #accept(socket: net.Socket): void {
    socket.on('error', () => {});
    if (this.#closed) return void socket.destroy();
    let pid = 0;
    let uid = -1;
    const fd = socketFd(socket);
    try {
      if (fd !== undefined) ({ pid, uid } = peerCredentials(fd));
    } catch {
      // no credentials: pid 0, refused as a sender we cannot see
    }
    const p: Peer = { socket, pid, uid, partial: Buffer.alloc(0), skipping: false };
    if (this.#worker !== undefined) return this.#judge(p);
    if (this.#unjudged.size >= MAX_UNJUDGED) return void socket.destroy();
    this.#unjudged.add(p);
    socket.once('close', () => this.#unjudged.delete(p));
  }

  #judge(p: Peer): void {
    if (p.socket.destroyed) return;
    const v = judgeSender(p.pid, this.#worker, this.#procs);
    if (!v.ok || this.#peers.size >= MAX_CONNECTIONS) {
      const why = v.ok ? `more than ${MAX_CONNECTIONS} notify connections at once` : v.why;
      this.#onDrop({ pid: p.pid, uid: p.uid, why, refused: true });
      p.socket.destroy();
      return;
    }
    this.#peers.add(p);
    // the worker's connection lasts as long as it does: it must not keep the init alive
    p.socket.unref();
    p.socket.once('close', () => this.#peers.delete(p));
    p.socket.on('data', (chunk: Buffer) => this.#lines(p, chunk));
    p.socket.resume();
    // Taken: the client writes once it reads this, so a connection refused (too many, say)
    // is one it knows of, and sends as a datagram instead, rather than a message lost.
    p.socket.write(ACCEPTED);
  }

  /** Cut `chunk`, after what `p` had already sent, into lines; stop reading `p` when the queue is full. */
  #lines(p: Peer, chunk: Buffer): void {
    let buf = p.partial.length === 0 ? chunk : Buffer.concat([p.partial, chunk]);
    let nl: number;
    while ((nl = buf.indexOf(NEWLINE)) >= 0) {
      if (this.#queue.length >= MAX_QUEUED) break;
      const line = buf.subarray(0, nl);
      buf = buf.subarray(nl + 1);
      if (p.skipping) p.skipping = false;
      else if (line.length > NOTIFY_DATAGRAM_MAX) this.#tooLong(p);
      else if (line.length > 0) this.#queue.push(line.toString('utf8'));
    }
    if (nl < 0 && buf.length > NOTIFY_DATAGRAM_MAX) {
      // no end in sight: what comes up to the next newline is dropped unread
      if (!p.skipping) this.#tooLong(p);
      p.skipping = true;
      buf = Buffer.alloc(0);
    }
    // A copy: a slice would keep the whole chunk alive.
    p.partial = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
    if (nl >= 0 && !p.socket.isPaused()) p.socket.pause();
  }

  #tooLong(p: Peer): void {
    this.#onDrop({ pid: p.pid, uid: p.uid, why: `the message is longer than ${NOTIFY_DATAGRAM_MAX} bytes`, refused: false });
  }
}
