/**
 * What a signal that is not a shutdown signal does in config mode, as the signal policy
 * (signal-policy.ts) says. As gunicorn's master: HUP reloads, TTIN/TTOU scale a watcher
 * (scale_watcher, else the first) up/down; the others go to the watchers that take them.
 */
import type { Arbiter } from '../supervisor/arbiter.js';
import { assertNever } from '../supervisor/process.js';
import type { Logger } from '../log/logger.js';
import { actionOf } from './signal-policy.js';

export interface SignalActionHost {
  log: Logger;
  arbiter: Arbiter | undefined;
  /** the init is starting or running: reloads and scaling act only then */
  serving: boolean;
  reload(): void;
  /** signals passed on to workers, by name (for `ctl status`): counted here */
  forwarded: Record<string, number>;
}

export function actOnSignal(signal: NodeJS.Signals, host: SignalActionHost): void {
  const { log, arbiter } = host;
  const action = actionOf('config', signal);
  switch (action) {
    case 'reload':
      if (host.serving) host.reload();
      return;
    case 'scale-up':
    case 'scale-down': {
      const name = arbiter?.config.ringmaster.scale_watcher;
      const w = name === undefined ? arbiter?.watchers[0] : arbiter?.get(name);
      if (!w || !host.serving) return;
      const n = Math.max(0, w.desired + (action === 'scale-up' ? 1 : -1));
      log.info(`${signal}: scaling`, { watcher: w.name, numprocesses: n });
      void w.scale(n);
      return;
    }
    case 'forward':
    case 'forward-if-listed': {
      const n = arbiter?.forward(signal) ?? 0;
      if (n > 0) host.forwarded[signal] = (host.forwarded[signal] ?? 0) + n;
      log.debug('forwarded signal', { signal, workers: n });
      return;
    }
    // not routed here: the router listens to none of these, and the init takes the shutdown ones
    case 'shutdown':
    case 'reap':
    case 'default':
    case 'uncatchable':
    case undefined:
      return;
    default:
      assertNever(action);
  }
}
