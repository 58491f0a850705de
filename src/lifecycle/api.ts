/**
 * The narrow interface through which the HTTP endpoint, the metrics and the control
 * socket see and steer the init. They get a snapshot (plain data, computed on demand) and
 * a controller; they never import the supervisor, and the supervisor never imports them.
 */
import type { EventListener } from '../supervisor/events.js';
import type { TaskStatus } from '../supervisor/task-tally.js';
import type { WatcherStatus } from '../supervisor/watcher.js';
import type { ControlCode } from '../errors/codes.js';
import type { MainStatus } from './main-command.js';

export type { MainStatus } from './main-command.js';

export type InitPhase = 'starting' | 'running' | 'draining' | 'stopping' | 'closing' | 'done';

export interface SocketSnapshot {
  name: string;
  /** tcp://127.0.0.1:8080, tcp://[::1]:8080, unix:/path, unix:@name */
  url: string;
  family: 'inet' | 'inet6' | 'unix';
  port: number | undefined;
  /** the listening socket's inode (socket:[N]), to find its row in /proc/net/tcp; undefined for so_reuseport */
  inode: number | undefined;
  backlog: number;
  so_reuseport: boolean;
  /** the init's fd of the listening socket (undefined for so_reuseport: the workers hold theirs), for what the kernel says of it */
  fd?: number;
}

export interface ReloadStats {
  success: number;
  failure: number;
  /** ms since epoch of the last successful reload (or of the start) */
  lastSuccessAt: number;
  /** message of the last failed reload, cleared by a successful one */
  lastError: string | undefined;
}

export interface InitSnapshot {
  pid: number;
  version: string;
  phase: InitPhase;
  /** ms since epoch */
  startedAt: number;
  watchers: WatcherStatus[];
  /** the config's tasks (start, stop and scheduled), their state and last run; absent in command mode */
  tasks?: TaskStatus[];
  sockets: SocketSnapshot[];
  /** orphans reaped since start */
  zombiesReaped: number;
  /** signals passed on to workers, by name */
  signalsForwarded: Record<string, number>;
  reloads: ReloadStats;
  /** where the config came from */
  configFiles: string[];
  /** the main command (`ringmaster -c FILE -- CMD`); absent without one */
  main?: MainStatus;
}

export type RollingOptions = {
  /** how many new workers may run beside the old ones. @default 1 */
  maxSurge?: number;
};

/** What `ringmaster ctl` can ask. Every method throws ControlError for a bad request. */
export interface Controller {
  snapshot(): InitSnapshot;
  start(watcher: string): Promise<void>;
  stop(watcher: string): Promise<void>;
  restart(watcher: string, options?: { rolling?: boolean } & RollingOptions): Promise<void>;
  /** n: a number, or `{ auto: F }`: F per CPU of the init's cgroup CPU limit (src/sys/cgroup.ts) */
  scale(watcher: string, n: number | { auto: number }): Promise<number>;
  /** +delta (negative to decrease); returns the new desired count */
  incr(watcher: string, delta: number): Promise<number>;
  signal(watcher: string, signal: string): Promise<number>;
  /** re-read the config and apply the difference; resolves with a summary, rejects (changing nothing) on error */
  reload(): Promise<string>;
  quit(): Promise<void>;
  /**
   * Call `listener` with every event the init emits from now on (`ctl events`), in order,
   * synchronously. Returns the function that stops it. A listener that throws misses that
   * event only; it must not block (the control server drops events for a slow reader).
   */
  subscribe(listener: EventListener): () => void;
}

/** A request that cannot be served: unknown watcher, bad number... (stable code for scripts). */
export class ControlError extends Error {
  readonly code: ControlCode;
  constructor(code: ControlCode, message: string) {
    super(message);
    this.name = 'ControlError';
    this.code = code;
  }
}

/** An endpoint that runs (as something that can be closed), undefined when it does not. */
export interface EndpointHandle {
  close(): Promise<void> | void;
}

/**
 * An endpoint beside the watchers (the HTTP endpoint, the control socket), given to the
 * init by cli/: the lifecycle imports none of them. Its module is loaded before the init
 * runs, so nothing is read from the install directory after the privilege drop.
 *
 * Either hook may start it (resolving with its handle, closed when the init ends). One
 * that throws is logged as a warning and the init runs on without it: the workers are what
 * PID 1 is for.
 */
export interface InitEndpoint {
  /** names it in the warning when a hook throws: "http", "control" */
  readonly name: string;
  /**
   * Before the privilege drop, the sockets bound, nothing running yet: what needs the user
   * ringmaster starts as (a port below 1024, a directory made for the user it drops to).
   */
  beforeDrop?(ctx: { snapshot(): InitSnapshot }): Promise<EndpointHandle | undefined> | undefined;
  /** After the privilege drop, before the watchers start: what must belong to the user dropped to (a socket file). */
  afterDrop?(ctx: { snapshot(): InitSnapshot; controller: Controller }): Promise<EndpointHandle | undefined> | undefined;
}
