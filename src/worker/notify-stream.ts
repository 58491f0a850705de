/**
 * The notify channel a Node worker can write without FFI: ringmaster listens on a unix
 * stream socket (RINGMASTER_NOTIFY_STREAM, '@name': abstract, padded to the whole of
 * sun_path) beside the datagram one (NOTIFY_SOCKET), and a worker sends each assignment as
 * a line on one connection that it opens on its first message and keeps. Node has no unix
 * datagram socket, and the libc FFI it would take to send one (koffi) costs a worker ~2.5 MiB
 * of RSS and some tens of ms of its start-up (BENCHMARKS.md, "Node workers pay less").
 *
 * Ringmaster says "OK\n" when it takes a connection (it judges the sender first); lines are
 * written only after that, so a refused connection is known, and notify() then sends the
 * message as a datagram instead.
 *
 * The connection never keeps the process alive: it is ref'd only while a message is on its
 * way (connect + write), so `await ready()` as the last thing a script does still resolves.
 *
 *   (none) --first send--> connecting --"OK"--> open --close/error--> (none)
 *                              \--close/error (refused), 5 s without "OK"--> (none)
 *   from (none), the next send connects again
 */
import net from 'node:net';
import { nodeSocketPath } from '../sys/sun-path.js';

interface Connection {
  socket: net.Socket;
  /** true once ringmaster has taken the connection ("OK\n"), false if it closes before */
  taken: Promise<boolean>;
  /** sends not yet settled: the socket is ref'd while there is one */
  inFlight: number;
}

const open = new Map<string, Connection>();

/**
 * How long a connection may wait for ringmaster's "OK": a listener that never accepts (an
 * init stalled, a socket nobody serves) must not hold a message for ever; it then goes as a
 * datagram.
 */
const TAKEN_TIMEOUT_MS = 5_000;


function connection(path: string): Connection {
  const had = open.get(path);
  if (had && !had.socket.destroyed) return had;
  const socket = net.connect({ path: nodeSocketPath(path) });
  socket.on('error', () => {});
  // one 'close' listener per send in flight
  socket.setMaxListeners(0);
  const taken = new Promise<boolean>((resolve) => {
    // ringmaster writes "OK\n" once, when it takes the connection, then nothing: reading
    // on is what lets us see it close.
    const timer = setTimeout(() => socket.destroy(), TAKEN_TIMEOUT_MS);
    timer.unref();
    socket.once('data', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  socket.resume();
  const c: Connection = { socket, taken, inFlight: 0 };
  socket.once('close', () => {
    if (open.get(path) === c) open.delete(path);
  });
  open.set(path, c);
  return c;
}

/**
 * Send `text` (newline-separated assignments) on the stream channel at `path`. Resolves true
 * once it is in the kernel's buffer toward ringmaster, false when it could not be sent
 * (nobody listens, or ringmaster refused the connection): never throws.
 */
export async function sendStream(path: string, text: string): Promise<boolean> {
  let c: Connection;
  try {
    c = connection(path);
  } catch {
    return false;
  }
  c.inFlight++;
  c.socket.ref();
  try {
    if (!(await c.taken)) return false;
    const lines = text.endsWith('\n') ? text : `${text}\n`;
    return await new Promise<boolean>((resolve) => {
      const onClose = (): void => resolve(false);
      c.socket.once('close', onClose);
      c.socket.write(lines, (err) => {
        c.socket.off('close', onClose);
        resolve(!err);
      });
    });
  } finally {
    if (--c.inFlight === 0) c.socket.unref();
  }
}
