/**
 * Signal names and numbers. What ringmaster does with each signal is in
 * lifecycle/signal-policy.ts.
 */
import { constants } from 'node:os';

const byName = constants.signals as Record<string, number>;
const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(byName)) {
  // SIGIOT/SIGABRT and SIGPOLL/SIGIO share numbers: keep the first (the common name).
  if (!byNumber.has(num)) byNumber.set(num, name);
}

/** Real-time signals (SIGRTMIN..SIGRTMAX as glibc exposes them: 34..64). Node cannot listen to them. */
export const REALTIME_SIGNALS: readonly number[] = Array.from({ length: 31 }, (_, i) => 34 + i);

export function signalNumber(name: string): number | undefined {
  return byName[name];
}

export function signalName(num: number): string {
  return byNumber.get(num) ?? (num >= 34 && num <= 64 ? `SIGRTMIN+${num - 34}` : `SIG${num}`);
}

/**
 * Parse a signal as users write it: `TERM`, `SIGTERM`, `sigterm`, `15`.
 * Returns undefined when it names no signal.
 */
export function parseSignal(text: string): { name: string; number: number } | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= 64) return { name: signalName(n), number: n };
    return undefined;
  }
  const upper = t.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const num = byName[name];
  return num === undefined ? undefined : { name: byNumber.get(num) ?? name, number: num };
}
