/**
 * Signal names as users write them (`TERM`, `sigterm`, `SIGTERM`, `15`), normalized to
 * the canonical upper-case name with SIG. Circus's `to_signum` also takes `SIGRTMIN+N`;
 * Node cannot name real-time signals, so we reject them with a clear message.
 */
import { constants } from 'node:os';

const byName = constants.signals as Record<string, number>;
const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(byName)) {
  // SIGIOT/SIGABRT and SIGIO/SIGPOLL share numbers: the first listed is the common name.
  if (!byNumber.has(num)) byNumber.set(num, name);
}

/** The canonical name (`SIGTERM`) of a signal as written, or undefined if it names none. */
export function normalizeSignal(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? byNumber.get(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  if (/^\d+$/.test(t)) return byNumber.get(Number(t));
  const upper = t.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const num = byName[name];
  return num === undefined ? undefined : byNumber.get(num);
}

/**
 * Signals the init cannot pass on: uncatchable ones, SIGCHLD (it drives reaping), the
 * synchronous faults Node must not listen to, and SIGTERM/SIGINT, which mean "shut down".
 */
export const NOT_FORWARDABLE: ReadonlySet<string> = new Set([
  'SIGKILL',
  'SIGSTOP',
  'SIGCHLD',
  'SIGSEGV',
  'SIGBUS',
  'SIGFPE',
  'SIGILL',
  'SIGTERM',
  'SIGINT',
]);

/**
 * The default `forward_signals`. SIGHUP, SIGTTIN and SIGTTOU are left out: the init keeps
 * them for reload and scaling.
 */
export const DEFAULT_FORWARD_SIGNALS: readonly string[] = [
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
  'SIGALRM',
  'SIGURG',
  'SIGPWR',
  'SIGCONT',
  'SIGTSTP',
  'SIGIO',
  'SIGVTALRM',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGTRAP',
  'SIGABRT',
  'SIGSYS',
  'SIGPIPE',
  'SIGSTKFLT',
].filter((s) => byName[s] !== undefined);
