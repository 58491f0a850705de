/**
 * The Controller that `ringmaster ctl` (through the control socket) and the init's own
 * signals (SIGTTIN/SIGTTOU) use: commands on the arbiter's watchers, by name.
 */
import { parseSignal } from '../sys/signals.js';
import { RingmasterError } from '../errors/codes.js';
import { autoProcesses, cpuLimit, type CpuLimit } from '../sys/cgroup.js';
import type { Arbiter } from '../supervisor/arbiter.js';
import type { EventBus } from '../supervisor/events.js';
import type { Watcher } from '../supervisor/watcher.js';
import { ControlError, type Controller, type InitSnapshot, type RollingOptions } from './api.js';

export interface ControllerHost {
  arbiter: Arbiter;
  /** the init's events, for `subscribe` */
  events: EventBus;
  snapshot(): InitSnapshot;
  reload(): Promise<string>;
  quit(): void;
  /** the init's CPU limit, for `scale NAME auto`. @default cpuLimit (src/sys/cgroup.ts) */
  cpuLimit?: () => CpuLimit;
}

export function createController(host: ControllerHost): Controller {
  const find = (name: string): Watcher => {
    const w = host.arbiter.get(name);
    if (w) return w;
    const names = host.arbiter.watchers.map((x) => x.name);
    throw new ControlError(
      'RM_CTL_UNKNOWN_WATCHER',
      `unknown watcher "${name}": ${names.length === 0 ? 'there are no watchers' : `the watchers are ${names.join(', ')}`}`,
    );
  };
  const count = (n: number, what: string): number => {
    if (!Number.isInteger(n) || n < 0) throw new ControlError('RM_CTL_BAD_NUMBER', `${what} must be an integer >= 0, got ${n}`);
    return n;
  };
  return {
    snapshot: () => host.snapshot(),
    start: async (name) => {
      await find(name).start();
    },
    stop: async (name) => {
      await find(name).stop();
    },
    restart: async (name, options: { rolling?: boolean } & RollingOptions = {}) => {
      const w = find(name);
      if (options.rolling) {
        // on a failure the watcher has refilled any wid left without a worker
        const result = await w.rollingRestart(options.maxSurge ?? w.config.max_surge);
        if (result.kind !== 'done') throw new ControlError('RM_CTL_ROLLOUT_FAILED', result.message);
        return;
      }
      await w.stop();
      await w.start();
    },
    scale: async (name, n) => {
      const w = find(name);
      if (typeof n === 'number') return w.scale(count(n, 'the number of processes'));
      const auto = autoProcesses(n.auto, (host.cpuLimit ?? cpuLimit)());
      return w.scale(auto.n, auto.source);
    },
    incr: async (name, delta) => {
      const w = find(name);
      return w.scale(count(w.desired + delta, 'the number of processes'));
    },
    signal: async (name, sig) => {
      const s = parseSignal(sig);
      if (!s) throw new ControlError('RM_CTL_BAD_SIGNAL', `unknown signal "${sig}" (use a name like TERM or SIGHUP, or a number)`);
      return find(name).signal(s.name as NodeJS.Signals);
    },
    reload: () =>
      host.reload().catch((err: unknown) => {
        // A config or socket error is the answer, not a bug: say so, with its own code.
        if (err instanceof RingmasterError) throw new ControlError('RM_CTL_RELOAD_FAILED', `reload failed, nothing changed: ${err.message} (${err.code})`);
        throw err;
      }),
    quit: async () => host.quit(),
    subscribe: (listener) => host.events.subscribe(listener),
  };
}
