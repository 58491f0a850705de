/**
 * What a stop signal (SIGTERM, or SIGINT) does to an app run through the preload, for the
 * server the preload handed the socket to:
 *
 *   serving --signal--+-- the app has no handler for it --> drain --> exit 0
 *                     |                                    (drain.ts: Connection: close, no
 *                     |                                     more accepting, idle connections
 *                     |                                     closed after 1 s, all at the grace)
 *                     +-- it has one --> the app's handler runs, as it would without us;
 *                                        meanwhile its process.exit(code) waits for the drain
 *                                        and then exits with code, and its server.close() and
 *                                        closeIdleConnections() are the drain's
 *
 * Either way the responses in progress close their connections, and STOPPING=1 goes to
 * ringmaster. A second signal gets Node's default (or the app's handler) again: an impatient
 * operator's second Ctrl-C still ends it at once.
 *
 * Why wait in the app's process.exit(): http-server and many CLIs exit at once on SIGTERM,
 * and every request in flight on that worker was lost in a rolling restart. Its handler still
 * runs, and still ends the process; only when is changed, bounded by the grace.
 *
 * An app "has a handler" when SIGTERM has listeners other than ours and signal-exit's
 * (signal-exit, used by many libraries, re-raises the signal only when its listeners are the
 * only ones; counted out, such an app is drained as one with no handler, then exits 0).
 */
import type net from 'node:net';
import { stopping } from './index.js';
import { drainable, type Drain } from './drain.js';

export interface DrainOptions {
  /** RINGMASTER_PRELOAD_DRAIN is not 0/off/false/no. @default true */
  on: boolean;
  /** RINGMASTER_PRELOAD_GRACE, in seconds. @default 10 (as `ringmaster serve --grace`) */
  graceMs: number;
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const DEFAULT_GRACE_MS = 10_000;

/** The preload's drain settings, from the environment ringmaster gave the worker. */
export function drainOptions(env: NodeJS.ProcessEnv = process.env, warn = (m: string) => process.stderr.write(m)): DrainOptions {
  const on = !/^(0|off|false|no)$/i.test((env.RINGMASTER_PRELOAD_DRAIN ?? '').trim());
  const raw = env.RINGMASTER_PRELOAD_GRACE;
  if (raw === undefined || raw.trim() === '') return { on, graceMs: DEFAULT_GRACE_MS };
  const s = Number(raw);
  if (Number.isFinite(s) && s >= 0 && s <= 86_400) return { on, graceMs: s * 1000 };
  warn(`ringmaster preload: RINGMASTER_PRELOAD_GRACE must be seconds between 0 and 86400, got ${JSON.stringify(raw.slice(0, 40))}; using ${DEFAULT_GRACE_MS / 1000}\n`);
  return { on, graceMs: DEFAULT_GRACE_MS };
}

/** Listeners for `sig` that are the app's: not ours, not signal-exit's. */
export function appHandlers(sig: NodeJS.Signals, proc: NodeJS.Process = process): number {
  const se = (proc as unknown as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  const signalExit = typeof se?.count === 'number' ? se.count : 0;
  return Math.max(0, proc.listenerCount(sig) - signalExit);
}

/** Handle SIGTERM and SIGINT for `server` as the diagram says. Call it before the server serves. */
export function handleStops(server: net.Server, graceMs: number): Drain {
  const drain = drainable(server, graceMs);
  const onStop = (sig: NodeJS.Signals): void => {
    for (const s of STOP_SIGNALS) process.off(s, onStop);
    void stopping();
    drain.stopping();
    if (appHandlers(sig) === 0) {
      void drain.drain().then(() => process.exit(0));
      return;
    }
    deferExit(drain);
    takeOverClose(server, drain);
  };
  // First, so that the app's handler finds process.exit and server.close already waiting.
  for (const s of STOP_SIGNALS) process.prependListener(s, onStop);
  return drain;
}

/** From now on, process.exit(code) exits with code once the drain is over. */
function deferExit(drain: Drain): void {
  const exit = process.exit;
  process.exit = function exitAfterDrain(code?: number | string | null) {
    void drain.drain().then(() => exit.call(process, code));
  } as typeof process.exit;
}

/** The app's server.close() and closeIdleConnections() during a stop: the drain's, which keeps idle connections a second. */
function takeOverClose(server: net.Server & { closeIdleConnections?: () => void }, drain: Drain): void {
  const close = server.close;
  server.close = function closeByDrain(this: net.Server, cb?: (err?: Error) => void) {
    // not listening: as Node does it (cb gets ERR_SERVER_NOT_RUNNING)
    if (!this.listening) return close.call(this, cb);
    if (cb) this.once('close', () => cb());
    void drain.drain();
    return this;
  };
  if (typeof server.closeIdleConnections === 'function') {
    server.closeIdleConnections = () => void drain.drain();
  }
}
