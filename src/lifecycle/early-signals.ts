/**
 * Signals that arrive while ringmaster is still loading. Between exec and the moment the
 * init routes signals lie some 200 ms of module loading; a Node PID 1 without a listener
 * drops SIGTERM (and one that is not PID 1 dies of it, before it has a child to pass it
 * to). So bin/ringmaster holds the shutdown and reload signals first thing, and the init
 * replays them once it routes signals (`docker stop` right after `docker run` works);
 * modes that are not an init (check, ctl, probe) let them act as they would have.
 */
import { HELD_SIGNALS as HELD } from './signal-policy.js';

let held: NodeJS.Signals[] | undefined;
const listeners = new Map<NodeJS.Signals, () => void>();

/** Start holding: each held signal that arrives is kept, in order. */
export function holdSignals(): void {
  if (held) return;
  held = [];
  for (const signal of HELD) {
    const listener = (): void => void held?.push(signal);
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
}

/** Stop holding; returns the signals that arrived meanwhile (none when nothing was held). */
export function takeHeldSignals(): NodeJS.Signals[] {
  for (const [signal, listener] of listeners) process.off(signal, listener);
  listeners.clear();
  const out = held ?? [];
  held = undefined;
  return out;
}

/** Stop holding and let each signal that arrived meanwhile take its default action now. */
export function releaseHeldSignals(): void {
  for (const signal of new Set(takeHeldSignals())) process.kill(process.pid, signal);
}
