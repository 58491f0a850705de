/**
 * One `events` subscription on a control connection: every event the init emits is written
 * to the connection as one JSON line, as it happens.
 *
 * Bounded: a reader that does not keep up (or never reads) must not make PID 1 buffer
 * without end. While more than `maxBacklog` bytes wait in the connection's buffer, events
 * are dropped and counted; once the buffer has drained, one line says how many were lost:
 *
 *   {"type": "events.dropped", "dropped": 120, "time": 1764630465123}
 *
 * and the events flow again. The reader stays connected and knows what it missed.
 *
 *   streaming --backlog over maxBacklog--> dropping --buffer drained--> streaming
 *   streaming | dropping --connection closed, or stop()--> ended
 */
import type { Socket } from 'node:net';
import type { EventListener, RingmasterEvent } from '../supervisor/events.js';
import { encodeLine } from './lines.js';

/** Bytes an events reader may leave unread in the init before events are dropped for it. @default 1 MiB */
export const EVENT_BACKLOG_BYTES = 1 << 20;

/** The line a stream sends after events were dropped for it (not an event of the init: no `seq`). */
export interface DroppedLine {
  type: 'events.dropped';
  /** how many events this reader missed */
  dropped: number;
  /** ms since the epoch, when the stream resumed */
  time: number;
}

export interface EventStreamOptions {
  /** @default EVENT_BACKLOG_BYTES */
  maxBacklog?: number;
  /** @default Date.now */
  now?: () => number;
}

type State = { kind: 'streaming' } | { kind: 'dropping'; dropped: number } | { kind: 'ended' };

/**
 * Write every event `subscribe` delivers to `sock` until it closes or the returned stop()
 * is called (idempotent). `subscribe` is Controller.subscribe.
 */
export function streamEvents(sock: Socket, subscribe: (l: EventListener) => () => void, o: EventStreamOptions = {}): () => void {
  const max = o.maxBacklog ?? EVENT_BACKLOG_BYTES;
  const now = o.now ?? Date.now;
  let state: State = { kind: 'streaming' };

  const onDrain = (): void => {
    if (state.kind !== 'dropping') return;
    const line: DroppedLine = { type: 'events.dropped', dropped: state.dropped, time: now() };
    state = { kind: 'streaming' };
    sock.write(encodeLine(line));
  };
  const onEvent = (e: RingmasterEvent): void => {
    switch (state.kind) {
      case 'ended':
        return;
      case 'dropping':
        state.dropped++;
        return;
      case 'streaming':
        if (!sock.writable) return stop();
        if (sock.writableLength > max) {
          // 'drain' follows: a write returned false long before the buffer got this far.
          state = { kind: 'dropping', dropped: 1 };
          return;
        }
        sock.write(encodeLine(e));
        return;
      default: {
        const never: never = state;
        return never;
      }
    }
  };

  const unsubscribe = subscribe(onEvent);
  const stop = (): void => {
    if (state.kind === 'ended') return;
    state = { kind: 'ended' };
    unsubscribe();
    sock.off('drain', onDrain);
    sock.off('close', stop);
  };
  sock.on('drain', onDrain);
  sock.on('close', stop);
  return stop;
}
