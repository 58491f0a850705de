/**
 * Signal names and numbers, and which ones a Node init can catch and forward.
 */
import { constants } from 'node:os';

const byName = constants.signals as Record<string, number>;
const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(byName)) {
  // SIGIOT/SIGABRT and SIGPOLL/SIGIO share numbers: keep the first (the common name).
  if (!byNumber.has(num)) byNumber.set(num, name);
}

/**
 * Signals we never install a listener for:
 * - SIGKILL, SIGSTOP: cannot be caught.
 * - SIGCHLD: ours; it drives reaping.
 * - SIGSEGV, SIGBUS, SIGFPE, SIGILL: Node documents that a JS listener for these leaves
 *   the process in a state where it may hang when the fault is real; like tini and
 *   catatonit we leave them at their default and do not forward them.
 * SIGPROF is forwarded like the others unless ringmaster itself runs under V8's profiler
 * (see selfProfiled): the profiler samples with SIGPROF, and a listener of ours would replace
 * its handler and pass every tick on to the child, which dies of it.
 */
const NOT_FORWARDED = new Set(['SIGKILL', 'SIGSTOP', 'SIGCHLD', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL']);

/** Whether this Node process may run V8's sampling profiler: --cpu-prof, --prof, or an inspector. */
export function selfProfiled(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--(cpu-prof|prof|inspect|inspect-brk|inspect-wait)(=|$)/.test(a));
}

/** Every signal 1..31 the init catches and forwards, by name (SIGTERM, SIGUSR1, ...). */
export function forwardableSignals(profiled = selfProfiled()): NodeJS.Signals[] {
  const out: NodeJS.Signals[] = [];
  for (let n = 1; n < 32; n++) {
    const name = byNumber.get(n);
    if (name && !NOT_FORWARDED.has(name) && !(profiled && name === 'SIGPROF')) out.push(name as NodeJS.Signals);
  }
  return out;
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
