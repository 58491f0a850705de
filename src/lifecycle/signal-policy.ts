/**
 * What ringmaster does with each signal, in command mode (`ringmaster -- CMD`) and in config
 * mode (`ringmaster -c FILE`): the one table that the router, both inits, the early hold,
 * the config's `forward_signals` check and default, and the README's table derive from.
 *
 * Pure data (it imports nothing but node:os), so that config/, which is pure, can use it.
 *
 * - `forward`: passed on; in command mode to the child (its group with -g), in config mode to
 *   the workers of each watcher whose `forward_signals` lists it (by default, all do).
 * - `forward-if-listed`: config mode only: passed on to the watchers that list it; the
 *   default `forward_signals` leaves it out.
 * - `shutdown`: command mode forwards it and starts the grace period; config mode drains,
 *   then stops the watchers (a second one skips the drain delay).
 * - `reload`, `scale-up`, `scale-down`: config mode, as gunicorn's master: HUP re-reads the
 *   config, TTIN/TTOU add or remove a worker of `scale_watcher`.
 * - `reap`: SIGCHLD, ringmaster's own: it drives reaping.
 * - `default`: never listened to. Node documents that a JS listener for a synchronous fault
 *   leaves the process in a state where it may hang when the fault is real; like tini and
 *   catatonit, ringmaster leaves them at their default action and does not forward them.
 * - `uncatchable`: SIGKILL and SIGSTOP.
 *
 * SIGPROF is forwarded unless ringmaster itself runs under V8's profiler (see selfProfiled):
 * the profiler samples with SIGPROF, and a listener of ours would replace its handler and pass
 * every tick on to the child, which dies of it. The real-time signals (34..64) are not in the
 * table: Node cannot listen to them (see REALTIME_SIGNALS in sys/signals.ts).
 */
import { constants } from 'node:os';

export type SignalAction =
  | 'forward'
  | 'forward-if-listed'
  | 'shutdown'
  | 'reload'
  | 'scale-up'
  | 'scale-down'
  | 'reap'
  | 'default'
  | 'uncatchable';

export interface SignalRule {
  readonly name: NodeJS.Signals;
  readonly number: number;
  readonly command: SignalAction;
  readonly config: SignalAction;
}

/** The signals ringmaster treats otherwise than `forward` in either mode; every other one of 1..31 is forwarded. */
const SPECIAL: Readonly<Record<string, { command: SignalAction; config: SignalAction }>> = {
  SIGHUP: { command: 'forward', config: 'reload' },
  SIGINT: { command: 'shutdown', config: 'shutdown' },
  SIGQUIT: { command: 'shutdown', config: 'shutdown' },
  SIGTERM: { command: 'shutdown', config: 'shutdown' },
  SIGTTIN: { command: 'forward', config: 'scale-up' },
  SIGTTOU: { command: 'forward', config: 'scale-down' },
  SIGPROF: { command: 'forward', config: 'forward-if-listed' },
  SIGCHLD: { command: 'reap', config: 'reap' },
  SIGILL: { command: 'default', config: 'default' },
  SIGBUS: { command: 'default', config: 'default' },
  SIGFPE: { command: 'default', config: 'default' },
  SIGSEGV: { command: 'default', config: 'default' },
  SIGKILL: { command: 'uncatchable', config: 'uncatchable' },
  SIGSTOP: { command: 'uncatchable', config: 'uncatchable' },
};

/** The signal V8's sampling profiler uses. */
export const PROFILER_SIGNAL: NodeJS.Signals = 'SIGPROF';

const byName = constants.signals as Record<string, number>;

/** Signals 1..31 by number, each by its common name (SIGABRT, not SIGIOT; SIGIO, not SIGPOLL). */
export const SIGNAL_POLICY: readonly SignalRule[] = (() => {
  const out: SignalRule[] = [];
  for (const [name, number] of Object.entries(byName)) {
    if (number < 1 || number > 31 || out.some((r) => r.number === number)) continue;
    const special = SPECIAL[name] ?? { command: 'forward', config: 'forward' };
    out.push({ name: name as NodeJS.Signals, number, ...special });
  }
  return out.sort((a, b) => a.number - b.number);
})();

export type Mode = 'command' | 'config';

/** The rule of a signal by name (the common name), if it is one of 1..31. */
export function ruleOf(name: string): SignalRule | undefined {
  return SIGNAL_POLICY.find((r) => r.name === name);
}

/** What ringmaster does with `name` in `mode`; real-time and unknown names: undefined. */
export function actionOf(mode: Mode, name: string): SignalAction | undefined {
  return ruleOf(name)?.[mode];
}

/** The signals that `mode` treats with `action`, by number. */
export function signalsDoing(mode: Mode, ...actions: SignalAction[]): NodeJS.Signals[] {
  return SIGNAL_POLICY.filter((r) => actions.includes(r[mode])).map((r) => r.name);
}

/** Whether this Node process may run V8's sampling profiler: --cpu-prof, --prof, or an inspector. */
export function selfProfiled(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--(cpu-prof|prof|inspect|inspect-brk|inspect-wait)(=|$)/.test(a));
}

/** Every signal the init catches and forwards (both modes catch the same ones), by number. */
export function forwardableSignals(profiled = selfProfiled()): NodeJS.Signals[] {
  return signalsDoing('command', 'forward', 'shutdown').filter((s) => !(profiled && s === PROFILER_SIGNAL));
}

/** The signals the router listens to: all forwardable ones, plus SIGCHLD. */
export function routedSignals(profiled = selfProfiled()): NodeJS.Signals[] {
  return [...forwardableSignals(profiled), ...signalsDoing('command', 'reap')];
}

/** The signals that shut ringmaster down, in `mode`. */
export function shutdownSignals(mode: Mode): ReadonlySet<NodeJS.Signals> {
  return new Set(signalsDoing(mode, 'shutdown'));
}

/**
 * The signals held while ringmaster loads (early-signals.ts): those an orchestrator sends to
 * stop or reload it, which must not be lost (a PID 1 without a listener drops them) nor kill a
 * ringmaster that is not PID 1 before it has a child to pass them to.
 */
export const HELD_SIGNALS: readonly NodeJS.Signals[] = SIGNAL_POLICY.filter((r) =>
  (['shutdown', 'reload'] as SignalAction[]).some((a) => r.command === a || r.config === a),
).map((r) => r.name);

/** The default `forward_signals` of a watcher: what config mode forwards by default. */
export const DEFAULT_FORWARD_SIGNALS: readonly string[] = signalsDoing('config', 'forward');

/** What ringmaster does with a signal that `forward_signals` may not list; undefined when it may. */
export function whyNotForwarded(name: string): string | undefined {
  const a = actionOf('config', name);
  switch (a) {
    case undefined:
    case 'forward':
    case 'forward-if-listed':
      return undefined;
    case 'shutdown':
      return `ringmaster shuts down on ${name} (drain_delay, then the watchers stop)`;
    case 'reload':
      return `ringmaster reloads its configuration on ${name}`;
    case 'scale-up':
      return `ringmaster adds a worker to scale_watcher on ${name}`;
    case 'scale-down':
      return `ringmaster removes a worker from scale_watcher on ${name}`;
    case 'reap':
      return `ringmaster reaps its workers on ${name}`;
    case 'default':
      return `${name} stays at its default action in ringmaster (Node.js cannot safely catch a fault signal)`;
    case 'uncatchable':
      return `${name} cannot be caught`;
  }
}
