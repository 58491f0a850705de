/**
 * The notify channel a Node worker can write without FFI: ringmaster listens on a unix
 * stream socket (RINGMASTER_NOTIFY_STREAM, '@name': abstract, padded to the whole of
 * sun_path) beside the datagram one
 * (NOTIFY_SOCKET), and a worker sends each assignment as a line on one connection that it
 * opens on its first message and keeps. Node has no unix datagram socket, and the libc
 * FFI it would take to send one (koffi) costs a worker ~4 MiB of memory and ~25 ms of its
 * start-up (BENCHMARKS.md, "Node workers pay less").
 *
 * The connection never keeps the process alive: it is ref'd only while a message is on its
 * way (connect + write), so `await ready()` as the last thing a script does still resolves.
 *
 *   (none) --first send--> connecting --connect--> open --close/error--> (none)
 *                                                  the next send connects again
 */
import net from 'node:net';

interface Connection {
  socket: net.Socket;
  /** sends not yet settled: the socket is ref'd while there is one */
  inFlight: number;
}

const open = new Map<string, Connection>();

/** sizeof(sockaddr_un.sun_path) on Linux */
const SUN_PATH_BYTES = 108;

/**
 * Node's spelling of abstract '@name': a leading NUL, and NULs after the name up to the whole
 * of sun_path, where ringmaster listens. Node 20 connects to an abstract name at that length
 * whatever the name's; Node 22 and later at the string's length: padded, both reach it.
 */
function nodePath(path: string): string {
  if (!path.startsWith('@')) return path;
  const name = `\0${path.slice(1)}`;
  return name + '\0'.repeat(Math.max(0, SUN_PATH_BYTES - Buffer.byteLength(name)));
}

function connection(path: string): Connection {
  const had = open.get(path);
  if (had && !had.socket.destroyed) return had;
  const socket = net.connect({ path: nodePath(path) });
  const c: Connection = { socket, inFlight: 0 };
  // ringmaster never writes: reading only lets us see it close the connection.
  socket.resume();
  // one 'close' listener per send in flight
  socket.setMaxListeners(0);
  socket.on('error', () => {});
  socket.once('close', () => {
    if (open.get(path) === c) open.delete(path);
  });
  open.set(path, c);
  return c;
}

/**
 * Send `text` (newline-separated assignments) on the stream channel at `path`. Resolves true
 * once it is in the kernel's buffer toward ringmaster, false when it could not be sent.
 */
export function sendStream(path: string, text: string): Promise<boolean> {
  let c: Connection;
  try {
    c = connection(path);
  } catch {
    return Promise.resolve(false);
  }
  const lines = text.endsWith('\n') ? text : `${text}\n`;
  c.inFlight++;
  c.socket.ref();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      c.socket.off('close', onClose);
      if (--c.inFlight === 0) c.socket.unref();
      resolve(ok);
    };
    const onClose = (): void => settle(false);
    c.socket.once('close', onClose);
    c.socket.write(lines, (err) => settle(!err));
  });
}
