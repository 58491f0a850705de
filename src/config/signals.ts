/**
 * Signal names as users write them (`TERM`, `sigterm`, `SIGTERM`, `15`), normalized to
 * the canonical upper-case name with SIG. Circus's `to_signum` also takes `SIGRTMIN+N`;
 * Node cannot name real-time signals, so we reject them with a clear message. Which ones
 * `forward_signals` may list, and its default, come from the signal policy.
 */
import { constants } from 'node:os';
import { SIGNAL_POLICY } from '../lifecycle/signal-policy.js';

export { DEFAULT_FORWARD_SIGNALS, whyNotForwarded } from '../lifecycle/signal-policy.js';

const byName = constants.signals as Record<string, number>;

/** The canonical name (`SIGTERM`) of a signal as written, or undefined if it names none. */
export function normalizeSignal(value: unknown): string | undefined {
  const t = typeof value === 'string' ? value.trim() : undefined;
  let num: number | undefined;
  if (typeof value === 'number') num = Number.isInteger(value) ? value : undefined;
  else if (t !== undefined && /^\d+$/.test(t)) num = Number(t);
  else if (t !== undefined) {
    const upper = t.toUpperCase();
    num = byName[upper.startsWith('SIG') ? upper : `SIG${upper}`];
  }
  // SIGIOT/SIGABRT and SIGIO/SIGPOLL share numbers: the policy's name is the common one.
  return SIGNAL_POLICY.find((r) => r.number === num)?.name;
}
