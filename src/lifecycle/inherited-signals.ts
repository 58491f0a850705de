/**
 * The signal mask and ignored signals ringmaster inherited, handed on to the command (and
 * to the workers of a watcher with `copy_signals`), as tini does: a parent that ignores
 * SIGHUP or SIGPIPE, or blocks SIGTERM, expects its command to start that way.
 *
 * Node throws that state away as it starts (it empties the mask, and sets every ignored
 * signal 1..31 back to its default but SIGPIPE and SIGXFSZ, which it ignores itself), and
 * libuv resets a child's mask and signals 1..31 again before exec. So bin/ringmaster, a
 * shell script before it runs itself as JavaScript, reads SigBlk and SigIgn from
 * /proc/self/status and passes them in RINGMASTER_INHERITED_SIGNALS (`BLK:IGN`, hex as
 * /proc shows them; unset when both are zero). The init takes that variable out of its
 * environment first thing; the exec shim sets the state in the child right before exec,
 * and runs only when a plain spawn would not give the child that state already.
 */
// Types only from libc.ts: this module loads first thing, before any mode needs libc.
import type { SignalState } from '../sys/libc.js';
import { signalStateOf } from '../sys/proc.js';

export const INHERITED_SIGNALS_ENV = 'RINGMASTER_INHERITED_SIGNALS';

/** Signals 1..31: libuv gives each child these at their default, and nothing blocked. */
const CLASSIC = (1n << 31n) - 1n;

const NONE: SignalState = Object.freeze({ blocked: 0n, ignored: 0n });

let inherited: SignalState = NONE;

/** `BLK:IGN` (hex) -> state; undefined when malformed. */
export function parseSignalState(text: string | undefined): SignalState | undefined {
  const m = /^([0-9a-fA-F]{1,16}):([0-9a-fA-F]{1,16})$/.exec(text ?? '');
  return m ? { blocked: BigInt(`0x${m[1]}`), ignored: BigInt(`0x${m[2]}`) } : undefined;
}

export function formatSignalState(s: SignalState): string {
  const hex = (n: bigint): string => n.toString(16).padStart(16, '0');
  return `${hex(s.blocked)}:${hex(s.ignored)}`;
}

/**
 * Take what bin/ringmaster read out of `env` (so that no child sees it) and keep it.
 * Without the variable (ringmaster run as `node bin/ringmaster`, or a default parent):
 * nothing blocked, nothing ignored.
 */
export function takeInheritedSignals(env: NodeJS.ProcessEnv = process.env): SignalState {
  inherited = parseSignalState(env[INHERITED_SIGNALS_ENV]) ?? NONE;
  delete env[INHERITED_SIGNALS_ENV];
  return inherited;
}

/** What ringmaster inherited (see takeInheritedSignals). */
export function inheritedSignals(): SignalState {
  return inherited;
}

/**
 * The state the exec shim must give a child so that it starts with `wanted`, or undefined
 * when a plain spawn gives it that already: nothing blocked, 1..31 at their default, and
 * 32..64 as the init has them (`ownIgnored`, our own SigIgn; libuv leaves those alone).
 */
export function signalsToSet(wanted: SignalState, ownIgnored: bigint = signalStateOf('self')?.ignored ?? 0n): SignalState | undefined {
  const spawned = ownIgnored & ~CLASSIC;
  return wanted.blocked === 0n && wanted.ignored === spawned ? undefined : wanted;
}
