/**
 * Signals in. A Node process that is PID 1 ignores every signal it has no listener
 * for (the kernel drops default-action signals sent to a namespace init), so the init
 * listens to every catchable signal, even those it only forwards.
 *
 * Real-time signals (34..64) cannot be listened to from Node, and are not forwarded. As PID 1
 * the kernel drops them for us; otherwise the caller sets them to SIG_IGN so that one cannot
 * kill ringmaster, and children then inherit that (libuv resets only signals 1..31).
 */
import { REALTIME_SIGNALS } from '../sys/signals.js';
import { routedSignals } from './signal-policy.js';

export type SignalHandler = (signal: NodeJS.Signals) => void;

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/**
 * Listen to every catchable signal and hand each to `handler`. Returns a function that
 * removes every listener it added (no listener outlives the router).
 */
export function routeSignals(
  handler: SignalHandler,
  source: SignalSource = process,
  ignoreRealtime: (signum: number) => void = () => {},
): () => void {
  const removers: Array<() => void> = [];
  for (const signal of routedSignals()) {
    const listener = (): void => handler(signal);
    source.on(signal, listener);
    removers.push(() => source.off(signal, listener));
  }
  for (const n of REALTIME_SIGNALS) {
    try {
      ignoreRealtime(n);
    } catch {
      // not fatal: only matters when we are not PID 1
    }
  }
  return () => {
    for (const remove of removers) remove();
  };
}
