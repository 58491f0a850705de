/**
 * A graceful stop for a server on a socket that ringmaster holds: what `ringmaster serve`
 * does on SIGTERM, and the preload for an app that has no stop handler of its own.
 *
 *   serving --stopping()--> stopping --drain()--> draining --every connection ended--> closed
 *                                                         \--grace over: all closed--/
 *
 * - stopping: every response from now on, those in progress included, says
 *   `Connection: close`, so a keep-alive client sends its next request on a new connection,
 *   which the socket's queue hands to another worker.
 * - draining: no more accepting (the worker's copy of the listening fd is closed; the init
 *   keeps the socket, and the kernel queues new connections for the other workers). Idle
 *   keep-alive connections are not closed at once, as http.Server.close() does: a request
 *   may be on its way on one. A connection still idle after a second is closed; at the
 *   grace deadline, all are.
 *
 * Nothing here exits the process: the caller does, once `drain()` resolves.
 */
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An http.Server (or https), or a plain net.Server: only the former has connections to close when idle. */
interface HttpLike extends net.Server {
  closeIdleConnections?: () => void;
  closeAllConnections?: () => void;
}

export interface Drain {
  /** Responses from now on close their connection. Idempotent. */
  stopping(): void;
  /** stopping(), stop accepting, close connections as they go idle; resolves once none is left (at the grace at the latest). Idempotent. */
  drain(): Promise<void>;
  /** whether stopping() (or drain()) was called */
  readonly isStopping: boolean;
}

/** How long a connection may stay idle while draining before it is closed. */
const IDLE_MS = 1_000;

/** Make `server` drainable. Call it before the server serves (it listens for 'request' and 'close'). */
export function drainable(server: HttpLike, graceMs: number): Drain {
  let stopping = false;
  let closed = false;
  let drained: Promise<void> | undefined;
  /** responses whose headers are not written yet: told to close once stopping */
  const pending = new Set<ServerResponse>();
  // as they are now: during a stop the preload gives the app's calls of these to the drain
  const closeIdle = server.closeIdleConnections?.bind(server);
  const closeAll = server.closeAllConnections?.bind(server);
  server.once('close', () => (closed = true));
  // one listener for every response (no closure per request): 'close' comes after 'finish',
  // or alone when the connection went first
  function forget(this: ServerResponse): void {
    pending.delete(this);
  }
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (stopping) {
      res.shouldKeepAlive = false;
      return;
    }
    pending.add(res);
    res.on('close', forget);
  });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const res of pending) if (!res.headersSent) res.shouldKeepAlive = false;
    pending.clear();
  };
  return {
    stopping: stop,
    get isStopping() {
      return stopping;
    },
    drain() {
      stop();
      drained ??= new Promise<void>((resolve) => {
        if (closed) return resolve();
        const idle = setInterval(() => closeIdle?.(), IDLE_MS);
        // at the deadline, whatever is left goes (a plain net.Server has no way to close its connections: it is left to the exit)
        const force = setTimeout(() => {
          closeAll?.();
          end();
        }, graceMs);
        idle.unref();
        force.unref();
        function end(): void {
          clearInterval(idle);
          clearTimeout(force);
          resolve();
        }
        server.once('close', end);
        // net's close, not http's: that one closes idle keep-alive connections at once.
        // Not listening (never did, or the app closed it and its connections are ending):
        // 'close' comes, or came, by itself.
        if (server.listening) net.Server.prototype.close.call(server);
        else if (!closingNow(server)) end();
      });
      return drained;
    },
  };
}

/**
 * Whether a server that does not listen any more still has connections, so that its
 * 'close' event is yet to come. net.Server keeps the count in `_connections`, which its
 * getConnections() reads; no public synchronous API gives it.
 */
function closingNow(server: net.Server): boolean {
  const n = (server as unknown as { _connections?: unknown })._connections;
  return typeof n === 'number' && n > 0;
}
