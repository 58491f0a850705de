/**
 * `ringmaster ctl events [--json]`: the init's events as they happen, until the init stops
 * (it closes the stream at shutdown), SIGINT/SIGTERM, or the reader of stdout goes away
 * (EPIPE, as with `| head -3`); each of those ends it with exit status 0.
 *
 *   connecting --answered--> streaming --init closed | signal | EPIPE--> ended
 *   connecting --refused or unreachable--> failed
 */
import { openEventStream, type ControlReply } from '../control/client.js';
import { formatEventLine } from '../control/event-line.js';

export interface EventsIo {
  out(text: string): unknown;
  err(text: string): unknown;
  /** call `stop` when the stream should end (a signal, stdout closed); returns the undo. */
  onStop?(stop: () => void): () => void;
}

/** SIGINT, SIGTERM and an EPIPE on stdout end the stream quietly. */
export function processStops(stop: () => void): () => void {
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.on('error', onError);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.stdout.off('error', onError);
  };
}

/**
 * Stream the events of the control socket at `path` to `io.out` (JSON lines as they came,
 * or a line for people each). Resolves with the init's answer once the stream is over
 * (a refusal at once); rejects with ControlClientError when the socket cannot be reached.
 */
export async function printEvents(path: string, json: boolean, timeoutMs: number, io: EventsIo): Promise<ControlReply> {
  const stream = openEventStream(path, (line, event) => void io.out(json ? `${line}\n` : formatEventLine(event)), timeoutMs);
  const reply = await stream.ready;
  if (!reply.ok) return reply;
  // Before the notice: whoever reads it may signal at once.
  const undo = (io.onStop ?? processStops)(() => stream.close());
  io.err(`ringmaster ctl: streaming events from ${path} (Ctrl-C ends)\n`);
  try {
    await stream.ended;
  } finally {
    undo();
  }
  return reply;
}
