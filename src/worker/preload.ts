/**
 * `node --import $(ringmaster.preload) app.js`: an app that calls `server.listen(PORT)`
 * serves on the socket ringmaster handed it instead, with no code change.
 *
 * The first listen() on a TCP port (a number, a numeric string, or {port}) is turned into
 * listen({fd}) on the inherited socket (RINGMASTER_PRELOAD_SOCKET names one, else the
 * first); later listens (a metrics port, say) go through untouched. Once that server
 * listens, READY=1 goes to NOTIFY_SOCKET, and the watchdog is pinged if one is asked for.
 * It listens with the socket's own backlog, not Node's 511 (inheritedBacklog).
 *
 * Then it stops gracefully (stop-handler.ts): unless RINGMASTER_PRELOAD_DRAIN=0, a
 * SIGTERM or SIGINT drains that server as `ringmaster serve` does when the app has no
 * handler of its own, and makes the app's own stop (its process.exit(), its server.close())
 * wait for the requests in flight when it has one.
 */
import net from 'node:net';
import { inheritedBacklog, ready, socketFd, startWatchdog } from './index.js';
import { drainOptions, handleStops } from './stop-handler.js';

const fd = socketFd(process.env.RINGMASTER_PRELOAD_SOCKET || undefined);
// Node's listen({fd}) calls listen() on the fd again, with 511 unless told: the socket's
// backlog (ringmaster's `backlog`) is read here and passed on, so that it stays.
const backlog = fd === undefined ? undefined : await inheritedBacklog(fd);

function isPortListen(args: unknown[]): boolean {
  const a = args[0];
  if (typeof a === 'number') return true;
  if (typeof a === 'string') return /^\d+$/.test(a);
  if (a !== null && typeof a === 'object') {
    const o = a as { port?: unknown; fd?: unknown; path?: unknown; handle?: unknown };
    return o.port !== undefined && o.fd === undefined && o.path === undefined && o.handle === undefined;
  }
  return args.length === 0 || typeof a === 'function';
}

if (fd !== undefined) {
  const original = net.Server.prototype.listen;
  const drain = drainOptions();
  let used = false;
  net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
    if (used || !isPortListen(args)) return original.apply(this, args as Parameters<typeof original>);
    used = true;
    const callback = args.find((x) => typeof x === 'function') as (() => void) | undefined;
    // Before it serves: a stop must reach the responses already in progress.
    if (drain.on) handleStops(this, drain.graceMs);
    this.once('listening', () => {
      void ready(`listening on inherited fd ${fd}`);
      startWatchdog();
    });
    // Node reads the backlog of listen({fd}) from its second argument only, not from the options.
    const listenArgs = backlog === undefined ? [{ fd }, callback] : [{ fd }, backlog, callback];
    return original.apply(this, listenArgs as unknown as Parameters<typeof original>);
  } as typeof original;
}
