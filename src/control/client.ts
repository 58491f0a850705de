/**
 * One request to the control socket: connect, send a line, wait for the line that answers
 * it, hang up. Failures to talk at all are typed (ControlClientError) so that `ctl` can
 * tell "nobody is listening there" (exit 69) from "it answered no" (exit 1).
 */
import { connect } from 'node:net';
import { LineSplitter, encodeLine } from './lines.js';
import type { ClientFailure } from '../errors/codes.js';

export type { ClientFailure };

export class ControlClientError extends Error {
  readonly code: ClientFailure;
  /** the errno name for RM_CTL_UNREACHABLE (ENOENT, ECONNREFUSED, EACCES, ...) */
  readonly errno: string | undefined;
  constructor(code: ClientFailure, message: string, options?: { cause?: unknown; errno?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ControlClientError';
    this.code = code;
    this.errno = options?.errno;
  }
}

export interface ControlReply {
  ok: boolean;
  result?: unknown;
  code?: string;
  error?: string;
}

let nextId = 1;

/**
 * Send `req` (an `id` is added) to the control socket at `path` and resolve with its answer.
 * Rejects with ControlClientError when the socket cannot be reached or does not answer.
 * @param timeoutMs give up after this long; @default 0 (wait for the answer however long it takes)
 */
export function request(path: string, req: object, timeoutMs = 0): Promise<ControlReply> {
  const id = `${process.pid}-${nextId++}`;
  return new Promise((resolve, reject) => {
    const sock = connect({ path });
    const lines = new LineSplitter();
    let connected = false;
    let settled = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(
            () => finish(new ControlClientError('RM_CTL_TIMEOUT', `no answer from ${path} within ${timeoutMs / 1000} s`)),
            timeoutMs,
          )
        : undefined;

    function finish(outcome: ControlReply | ControlClientError): void {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      sock.destroy();
      if (outcome instanceof ControlClientError) reject(outcome);
      else resolve(outcome);
    }

    sock.on('connect', () => {
      connected = true;
      sock.write(encodeLine({ ...req, id }));
    });
    sock.on('data', (chunk: Buffer) => {
      for (const ev of lines.push(chunk)) {
        if (ev.kind === 'too-long') {
          finish(new ControlClientError('RM_CTL_BAD_ANSWER', `${path} sent a line of ${ev.bytes} bytes, not a response`));
          return;
        }
        let msg: unknown;
        try {
          msg = JSON.parse(ev.line);
        } catch {
          finish(new ControlClientError('RM_CTL_BAD_ANSWER', `${path} answered with something other than JSON: ${ev.line.slice(0, 80)}`));
          return;
        }
        if (typeof msg !== 'object' || msg === null || typeof (msg as { ok?: unknown }).ok !== 'boolean') {
          finish(new ControlClientError('RM_CTL_BAD_ANSWER', `${path} answered with something other than a response: ${ev.line.slice(0, 80)}`));
          return;
        }
        const m = msg as ControlReply & { id?: unknown };
        // An answer to someone else's id cannot happen on our own connection, except for the
        // id-less error a server sends about a line it could not read: that one is ours too.
        if (m.id !== id && m.id !== null) continue;
        const reply: ControlReply = { ok: m.ok };
        if (m.ok) reply.result = m.result;
        else {
          reply.code = typeof m.code === 'string' ? m.code : 'RM_CTL_BAD_ANSWER';
          reply.error = typeof m.error === 'string' ? m.error : 'the request failed (no message)';
        }
        finish(reply);
        return;
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) {
        finish(new ControlClientError('RM_CTL_UNREACHABLE', `cannot connect to ${path}: ${err.code ?? err.message}`, { cause: err, errno: err.code }));
      } else {
        finish(new ControlClientError('RM_CTL_NO_ANSWER', `${path} closed the connection before answering (${err.code ?? err.message})`, { cause: err }));
      }
    });
    sock.on('close', () => {
      finish(new ControlClientError('RM_CTL_NO_ANSWER', `${path} closed the connection before answering`));
    });
  });
}

/** A live `events` stream (see openEventStream). */
export interface EventStream {
  /** the init's answer (ok: every event after it arrives; not ok: it refused, and hung up); rejects with ControlClientError */
  readonly ready: Promise<ControlReply>;
  /** resolves when the stream is over: the init closed it (it is stopping or gone), or close() was called */
  readonly ended: Promise<void>;
  /** Hang up. Idempotent. */
  close(): void;
}

/**
 * Ask the control socket at `path` for its events and call `onLine` with each one: the
 * line as it came, and its JSON. Lines that are not events (answers, garbage) are skipped.
 * @param timeoutMs give up when the answer takes longer; @default 0 (no limit)
 */
export function openEventStream(path: string, onLine: (line: string, event: Record<string, unknown>) => void, timeoutMs = 0): EventStream {
  const id = `${process.pid}-${nextId++}`;
  const sock = connect({ path });
  const lines = new LineSplitter();
  let connected = false;
  let answered = false;
  let onReady!: (r: ControlReply) => void;
  let onFail!: (e: ControlClientError) => void;
  let onEnd!: () => void;
  const ready = new Promise<ControlReply>((res, rej) => ((onReady = res), (onFail = rej)));
  const ended = new Promise<void>((res) => (onEnd = res));
  const fail = (e: ControlClientError): void => {
    if (!answered) onFail(e);
    sock.destroy();
  };
  const timer = timeoutMs > 0 ? setTimeout(() => fail(new ControlClientError('RM_CTL_TIMEOUT', `no answer from ${path} within ${timeoutMs / 1000} s`)), timeoutMs) : undefined;

  sock.on('connect', () => {
    connected = true;
    sock.write(encodeLine({ cmd: 'events', id }));
  });
  sock.on('data', (chunk: Buffer) => {
    for (const ev of lines.push(chunk)) {
      if (ev.kind === 'too-long') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(ev.line);
      } catch {
        continue;
      }
      if (typeof msg !== 'object' || msg === null) continue;
      const m = msg as Record<string, unknown>;
      if (typeof m['type'] === 'string') {
        if (answered) onLine(ev.line, m);
        continue;
      }
      if (answered || typeof m['ok'] !== 'boolean' || (m['id'] !== id && m['id'] !== null)) continue;
      answered = true;
      if (timer) clearTimeout(timer);
      if (m['ok'] !== true) {
        onReady({ ok: false, code: typeof m['code'] === 'string' ? m['code'] : 'RM_CTL_BAD_ANSWER', error: typeof m['error'] === 'string' ? m['error'] : 'the request failed (no message)' });
        sock.destroy();
        return;
      }
      onReady({ ok: true, result: m['result'] });
    }
  });
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) fail(new ControlClientError('RM_CTL_UNREACHABLE', `cannot connect to ${path}: ${err.code ?? err.message}`, { cause: err, errno: err.code }));
    else fail(new ControlClientError('RM_CTL_NO_ANSWER', `${path} closed the connection before answering (${err.code ?? err.message})`, { cause: err }));
  });
  sock.on('close', () => {
    if (timer) clearTimeout(timer);
    fail(new ControlClientError('RM_CTL_NO_ANSWER', `${path} closed the connection before answering`));
    onEnd();
  });
  return { ready, ended, close: () => sock.destroy() };
}
