/**
 * Bringing one worker into the world: build its spec (worker-spec.ts), make and start its
 * process through the Spawner, give the init's copies of its own sockets back, set the
 * rlimits the exec shim could not, pipe its output, start its readiness check and max_age.
 * A worker that cannot even be prepared fails like a spawn that failed, on the next tick.
 */
import type { WatcherConfig } from '../config/types.js';
import type { NotifyEndpoint, Spawner, Timers, WorkerProcess, WorkerSys } from './edges.js';
import { unstarted } from './edges.js';
import { pipeLines } from './output.js';
import type { ExitOutcome } from './process.js';
import { probeFor } from './readiness.js';
import type { WatcherHost, WorkerIds } from './watcher-status.js';
import type { Worker } from './worker.js';
import { buildWorkerSpec } from './worker-spec.js';

export interface LaunchContext {
  ids: WorkerIds;
  sys: WorkerSys;
  spawner: Spawner;
  timers: Timers;
  /** the process's exit (once) */
  onExit(outcome: ExitOutcome): void;
  /** the Worker for this process, now in the pool */
  track(proc: WorkerProcess, notify: NotifyEndpoint | undefined): Worker;
  /** it has a pid */
  spawned(worker: Worker): void;
}

export function launch(c: WatcherConfig, wid: number, host: WatcherHost, x: LaunchContext): Worker {
  let built: ReturnType<typeof buildWorkerSpec>;
  try {
    built = buildWorkerSpec(c, wid, { sockets: host.sockets, baseEnv: host.baseEnv, cwd: host.cwd, ids: x.ids, copySignals: host.copySignals, sys: x.sys });
  } catch (err) {
    // No fd left for its notify socket, its own SO_REUSEPORT socket cannot be bound: it
    // takes its wid like any worker and fails like a spawn that failed, on the next tick,
    // so backoff and FATAL apply and nothing recurses.
    const e = err as NodeJS.ErrnoException;
    const worker = x.track(unstarted, undefined);
    setImmediate(() => x.onExit({ kind: 'spawn-failed', code: e.code ?? 'UNKNOWN', message: `preparing the worker: ${e.message}` }));
    return worker;
  }
  const { spec, ownedFds, notify, rlimitsAfter } = built;
  const proc = x.spawner(spec, { own: host.own, disown: host.disown, now: host.now }, (outcome) => x.onExit(outcome));
  const worker = x.track(proc, notify);
  proc.start();
  // A per-worker SO_REUSEPORT socket now lives in the worker only.
  x.sys.closeSockets(ownedFds);
  const pid = proc.pid;
  if (pid === undefined) return worker;
  // From now on its stream notify connections are judged as they come.
  notify?.attach?.(pid);
  x.spawned(worker);
  for (const [name, resource, value] of rlimitsAfter) {
    try {
      x.sys.setRlimit(pid, resource, value);
    } catch (e) {
      host.log.warn('could not set rlimit', { watcher: c.name, wid, rlimit: name, error: (e as Error).message });
    }
  }
  if (c.output !== 'inherit') {
    const label = { watcher: c.name, wid, pid };
    if (proc.child?.stdout) pipeLines(proc.child.stdout, c.output, label, 'stdout');
    if (proc.child?.stderr) pipeLines(proc.child.stderr, c.output, label, 'stderr');
  }
  const probe = probeFor(c.ready, { timers: x.timers, now: host.now, portOf: (name) => host.sockets.get(name)?.port });
  // Circus's max_age: recycle a worker after a while (+ up to max_age_variance, so a pool
  // does not recycle all at once). It stops gracefully and is respawned.
  const maxAge = c.max_age > 0 ? c.max_age + (host.random ?? Math.random)() * c.max_age_variance : 0;
  worker.begin(probe, maxAge);
  return worker;
}
