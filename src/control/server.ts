/**
 * The control API: a unix socket (mode 0600) speaking newline-delimited JSON (protocol.ts),
 * served to `ringmaster ctl` and to anything else that can write a line of JSON.
 *
 * Each line is handled on its own as soon as it arrives, so several requests may be in
 * flight on one connection or many; each is answered when done (a rolling restart when the
 * last new worker is ready), with the request's `id`.
 *
 * `events` is the one streaming command: answered at once, then the connection carries the
 * init's events, one JSON line each (event-stream.ts, bounded for slow readers), until the
 * client hangs up or the server closes (at the init's shutdown: the stream ends there).
 *
 * Every request is logged with its sender as the kernel names it (SO_PEERCRED: pid, uid,
 * gid of the process that connected): at info for the commands that change something, at
 * debug for status and events. A sender that is neither this init's user nor root is refused
 * (RM_CTL_FORBIDDEN) even if the file's mode let it in (someone widened it).
 *
 *   listening --close()--> closed   (close is idempotent; answers still pending are dropped)
 */
import { createServer, type Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { Logger } from '../log/logger.js';
import { ControlError, type Controller } from '../lifecycle/api.js';
import { LineSplitter, encodeLine, MAX_LINE_BYTES } from './lines.js';
import { CTL_CODES, errorResponse, parseRequest, requestIdOf, type ControlResponse, type RequestId } from './protocol.js';
import { dispatch } from './dispatch.js';
import { streamEvents } from './event-stream.js';
import { checkSocketPath, clearStaleSocket, listenPrivately, unlinkIfOurs } from './socket-file.js';
import { peerOf, type Peer } from './peer.js';

export interface ControlServerOptions {
  /** where to listen (see controlSocketPath); a relative path is taken from the current directory */
  path: string;
  controller: Controller;
  log: Logger;
  /** bytes an `events` reader may leave unread before its events are dropped (counted). @default EVENT_BACKLOG_BYTES (1 MiB) */
  maxEventBacklog?: number;
}

/** How long close() lets a connection flush what was written before dropping it. */
const CLOSE_FLUSH_MS = 2_000;

export interface ControlServer {
  /** the absolute path it listens on */
  readonly path: string;
  /** Stop listening, end every connection (after flushing what was written), remove the file. Idempotent. */
  close(): Promise<void>;
  /** Like close(), but drop connections at once, written or not. Idempotent. */
  destroy(): void;
}

/**
 * Listen on a unix socket at `path`, mode 0600, removing a stale socket file first.
 * Rejects with RingmasterError RM_SOCKET when the path is unusable: not a socket, owned by
 * another user, another live ringmaster answering on it, a missing directory.
 */
export async function startControlServer(o: ControlServerOptions): Promise<ControlServer> {
  // Absolute: the init leaves its working directory after starting, and close() unlinks by path.
  checkSocketPath(o.path);
  const path = resolvePath(o.path);
  checkSocketPath(path);
  await clearStaleSocket(path, o.log);

  const { controller, log } = o;
  const connections = new Set<Socket>();
  let closed = false;

  const send = (sock: Socket, res: ControlResponse): void => {
    if (!closed && sock.writable) sock.write(encodeLine(res));
  };

  /** connections that stream events, and what ends each one's subscription */
  const streaming = new Map<Socket, () => void>();
  const endStreams = (): void => {
    for (const stop of streaming.values()) stop();
    streaming.clear();
  };

  const handle = async (sock: Socket, peer: Peer, line: string): Promise<void> => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      send(sock, errorResponse(null, new ControlError(CTL_CODES.BAD_REQUEST, `a request is one line of JSON like {"cmd": "status"}, got ${JSON.stringify(line.slice(0, 80))}`)));
      return;
    }
    const id: RequestId = requestIdOf(raw);
    let req;
    try {
      req = parseRequest(raw);
    } catch (err) {
      send(sock, errorResponse(id, err as ControlError));
      return;
    }
    const fields = { cmd: req.cmd, watcher: 'watcher' in req ? req.watcher : undefined };
    if (req.cmd === 'status' || req.cmd === 'events') log.debug('control request', { ...fields, ...peer.fields });
    else log.info('control request', { ...fields, ...peer.fields });
    if (peer.refusal !== undefined) {
      log.warn('control request refused: sender is not allowed', { ...fields, ...peer.fields });
      send(sock, errorResponse(id, peer.refusal));
      return;
    }
    if (req.cmd === 'events') {
      if (streaming.has(sock)) {
        send(sock, errorResponse(id, new ControlError(CTL_CODES.BAD_REQUEST, 'this connection streams events already')));
        return;
      }
      // The answer first, then the events: a client that has the answer misses none after it.
      send(sock, { id, ok: true, result: 'streaming' });
      if (closed || !sock.writable) return;
      const stop = streamEvents(sock, (l) => controller.subscribe(l), o.maxEventBacklog === undefined ? {} : { maxBacklog: o.maxEventBacklog });
      streaming.set(sock, stop);
      sock.once('close', () => {
        stop();
        streaming.delete(sock);
      });
      return;
    }
    if (req.cmd === 'quit') {
      // Answer first: quitting closes this server, and the answer would be lost with it.
      send(sock, { id, ok: true, result: 'shutting down' });
      log.info('quit requested on the control socket');
      dispatch(controller, req).catch((err: unknown) => log.error('quit failed', { error: (err as Error).message }));
      return;
    }
    try {
      send(sock, { id, ok: true, result: await dispatch(controller, req) });
    } catch (err) {
      if (err instanceof ControlError) {
        log.debug('control request refused', { ...fields, code: err.code, error: err.message });
        send(sock, errorResponse(id, err));
        return;
      }
      const e = err as Error;
      log.error('control request failed', { ...fields, error: e?.stack ?? String(err) });
      send(sock, errorResponse(id, new ControlError(CTL_CODES.INTERNAL, `${req.cmd} failed: ${e?.message ?? String(err)} (a bug in ringmaster; its log has the stack)`)));
    }
  };

  const server = createServer((sock) => {
    if (closed) {
      sock.destroy();
      return;
    }
    connections.add(sock);
    const peer = peerOf(sock, log);
    const lines = new LineSplitter();
    sock.on('data', (chunk: Buffer) => {
      for (const ev of lines.push(chunk)) {
        if (ev.kind === 'too-long') {
          send(sock, errorResponse(null, new ControlError(CTL_CODES.BAD_REQUEST, `request line longer than ${MAX_LINE_BYTES} bytes (${ev.bytes} so far); end each request with a newline`)));
          sock.end();
          return;
        }
        handle(sock, peer, ev.line).catch((err: unknown) => log.error('control request crashed', { error: (err as Error)?.stack ?? String(err) }));
      }
    });
    // A client that hangs up before its answer (ctl killed by ^C) is normal: EPIPE, ECONNRESET.
    sock.on('error', (err) => log.debug('control connection error', { error: err.message }));
    sock.on('close', () => connections.delete(sock));
  });
  server.on('error', (err) => log.error('control socket error', { path, error: err.message }));

  const ino = await listenPrivately(server, path);
  log.info('control socket listening', { path });

  let closing: Promise<void> | undefined;
  const stopListening = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      closed = true;
      server.close(() => resolve());
      unlinkIfOurs(path, ino);
    });
    return closing;
  };
  return {
    path,
    close(): Promise<void> {
      const done = stopListening();
      endStreams();
      // end() flushes what was written (a quit's answer, the last events) and then sends FIN;
      // destroy after, so a client that keeps its end open cannot hold close() up, nor one
      // that stopped reading with events still unsent.
      for (const sock of connections) {
        sock.end(() => sock.destroy());
        setTimeout(() => sock.destroy(), CLOSE_FLUSH_MS).unref();
      }
      return done;
    },
    destroy(): void {
      void stopListening();
      endStreams();
      for (const sock of connections) sock.destroy();
    },
  };
}
