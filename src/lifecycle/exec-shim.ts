/**
 * The exec shim: foreground-exec.js, a small Node program that runs under the child's pid,
 * does what Node cannot do between fork and exec (take the terminal's foreground, set the
 * signal mask and ignored signals), then execs the command. It costs a Node start-up
 * (some 40 ms), so a child goes through it only when it needs one of these.
 *
 *   node foreground-exec.js FORMAT FDS TTY SIGNALS FILE ARGS...
 *
 * FORMAT: ringmaster's log format. FDS: the fds the command inherits, comma-separated.
 * TTY: `foreground` or `-`. SIGNALS: `BLK:IGN` (see inherited-signals) or `-` (none).
 */
import { fileURLToPath } from 'node:url';
import type { SignalState } from '../sys/libc.js';
import type { CopySignals } from '../supervisor/worker-spec.js';
import { formatSignalState, inheritedSignals, parseSignalState, signalsToSet } from './inherited-signals.js';

/** Where the shim is and how to run it. */
export interface ExecShim {
  node: string;
  program: string;
  logFormat: string;
}

export interface ShimTask {
  /** fds the command inherits (0, 1, 2 and any sockets): Node marks them close-on-exec */
  fds: readonly number[];
  /** make the shim's own process group the foreground of the terminal on fd 0 */
  foreground: boolean;
  signals: SignalState | undefined;
}

export function execShim(logFormat: string): ExecShim {
  return { node: process.execPath, program: fileURLToPath(new URL('../lifecycle/foreground-exec.js', import.meta.url)), logFormat };
}

/** The argv that runs `file args` through the shim. */
export function throughShim(shim: ExecShim, task: ShimTask, file: string, args: readonly string[]): { file: string; args: string[] } {
  const signals = task.signals ? formatSignalState(task.signals) : '-';
  return { file: shim.node, args: [shim.program, shim.logFormat, task.fds.join(','), task.foreground ? 'foreground' : '-', signals, file, ...args] };
}

/** The shim's side: argv after the program -> what to do; undefined when malformed. */
export function parseShimArgs(argv: readonly string[]): { logFormat: string; task: ShimTask; file: string; args: string[] } | undefined {
  const [logFormat = 'text', fds = '', tty, signals, file, ...args] = argv;
  if (file === undefined || (tty !== 'foreground' && tty !== '-')) return undefined;
  const state = signals === '-' ? undefined : parseSignalState(signals);
  if (signals !== '-' && state === undefined) return undefined;
  const fdList = fds.split(',').filter(Boolean).map(Number);
  if (fdList.some((n) => !Number.isInteger(n) || n < 0)) return undefined;
  return { logFormat, task: { fds: fdList, foreground: tty === 'foreground', signals: state }, file, args };
}

/**
 * The `copy_signals` hook of watchers: a worker goes through the shim only when what
 * ringmaster inherited is not what a plain spawn gives it (see signalsToSet).
 */
export function copyInheritedSignals(logFormat: string): CopySignals {
  const shim = execShim(logFormat);
  return (command, fds) => {
    const signals = signalsToSet(inheritedSignals());
    return signals ? throughShim(shim, { fds, foreground: false, signals }, command.file, command.args) : command;
  };
}
