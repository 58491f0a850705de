/**
 * What one worker of a watcher is spawned with: its argv after substitution, its
 * environment (LISTEN_FDS, RINGMASTER_WID, NOTIFY_SOCKET...), its stdio with the sockets
 * at fds 3, 4, ..., its directory and ids. The libc calls it needs (our hard rlimits, a
 * notify socket, closing what a failed build took) come in through SpecContext.sys.
 */
import type { StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { RLIMITS } from '../sys/libc.js';
import type { SocketConfig, WatcherConfig } from '../config/types.js';
import { realWorkerSys, type NotifyEndpoint, type WorkerSys } from './edges.js';
import { withListenPid, type SpawnSpec } from './process.js';
import type { WorkerIds } from './watcher-status.js';
import type { SocketSet } from './socket-set.js';
import { substitute } from './substitute.js';
import { PRELOAD_URL } from './preload-url.js';

export interface WorkerSpec {
  spec: SpawnSpec;
  /** per-worker SO_REUSEPORT fds: the init closes its copies once the worker is spawned */
  ownedFds: number[];
  /** the worker's NOTIFY_SOCKET */
  notify: NotifyEndpoint | undefined;
  /** rlimits the init sets on the worker once spawned (prlimit), those the exec shim could not */
  rlimitsAfter: Array<[name: string, resource: number, value: number | null]>;
}

/**
 * What a process is told about the sockets and the notify channel handed to it: never
 * passed on from ringmaster's own environment (they were meant for ringmaster).
 */
export const INHERITED_HANDOFF = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'RINGMASTER_NOTIFY_STREAM', 'RINGMASTER_BACKLOGS'];

/** util-linux's prlimit, when the image has it */
export const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
/** util-linux's setpriv, when the image has it */
export const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * How the worker becomes its watcher's uid/gid. libuv can do it (spawn's uid and gid) but
 * then clears the supplementary groups; util-linux's setpriv, run as root, switches with
 * the user's groups (initgroups, as supervisord does) and execs the command under the same
 * pid. Without setpriv in the image, or when ringmaster is not root, libuv does it.
 */
export function userSwitch({ uid, gid, user }: WorkerIds): { setpriv?: string[]; uid?: number; gid?: number } {
  if (!SETPRIV || (uid === undefined && gid === undefined) || process.getuid?.() !== 0) return { uid, gid };
  const args: string[] = [];
  if (uid !== undefined) args.push(`--reuid=${uid}`);
  if (gid !== undefined) args.push(`--regid=${gid}`);
  // A uid with a passwd entry gets its groups; a bare number gets none, as with libuv.
  args.push(user !== undefined ? '--init-groups' : '--clear-groups');
  return { setpriv: args };
}

/**
 * Resource limits in force from the worker's first instruction, as Circus sets them
 * before exec: util-linux's prlimit sets them on itself and execs the command (same pid).
 * A limit above our own hard limit is left to the init, which tries it right after the
 * spawn (and says so if it cannot): prlimit failing would keep the command from running.
 */
export function rlimitPlan(
  rlimits: WatcherConfig['rlimits'],
  hardRlimit: WorkerSys['hardRlimit'] = realWorkerSys.hardRlimit,
): { shim: string[]; after: WorkerSpec['rlimitsAfter'] } {
  const shim: string[] = [];
  const after: WorkerSpec['rlimitsAfter'] = [];
  for (const [name, value] of Object.entries(rlimits)) {
    const resource = RLIMITS[name.toLowerCase()];
    if (resource === undefined) continue;
    // Up to our own hard limit anyone may go, root or not; above it only a process with
    // CAP_SYS_RESOURCE (which containers usually drop, root or not) and never past fs.nr_open
    // for NOFILE. prlimit would fail there and the command would never run: the init tries.
    const hard = PRLIMIT ? hardRlimit(resource) : null;
    const inReach = hard === null || (value !== null && BigInt(value) <= hard);
    if (PRLIMIT && inReach) shim.push(`--${name.toLowerCase()}=${value === null ? 'unlimited' : `${value}:${value}`}`);
    else after.push([name, resource, value]);
  }
  return { shim, after };
}

/**
 * Run a command through the exec shim so that it starts with the signal mask and ignored
 * signals ringmaster inherited (copy_signals); the command as it is when it needs no shim.
 */
export type CopySignals = (command: { file: string; args: string[] }, fds: readonly number[]) => { file: string; args: string[] };

export interface SpecContext {
  sockets: Pick<SocketSet, 'fdForWorker' | 'get'>;
  baseEnv: NodeJS.ProcessEnv;
  /** where ringmaster was started: the default, and the base of a relative, working_dir */
  cwd: string;
  /** the watcher's uid/gid, resolved once by the watcher */
  ids: WorkerIds;
  copySignals?: CopySignals;
  /** @default realWorkerSys */
  sys?: Pick<WorkerSys, 'hardRlimit' | 'closeSockets' | 'openNotify'>;
}

/** A socket's backlog as RINGMASTER_BACKLOGS gives it: empty for one that does not listen. */
function listenBacklogOf(s: SocketConfig | undefined): string {
  return s === undefined || s.type === 'SOCK_DGRAM' ? '' : String(s.backlog);
}

export function buildWorkerSpec(c: WatcherConfig, wid: number, x: SpecContext): WorkerSpec {
  const taken: Taken = { fds: [], notify: undefined };
  try {
    return build(c, wid, x, taken);
  } catch (err) {
    // Give back what was taken before the failure: a per-worker SO_REUSEPORT socket left
    // open would stay in the group and be handed connections that nobody accepts.
    (x.sys ?? realWorkerSys).closeSockets(taken.fds);
    taken.notify?.close();
    throw err;
  }
}

interface Taken {
  fds: number[];
  notify: NotifyEndpoint | undefined;
}

function build(c: WatcherConfig, wid: number, x: SpecContext, taken: Taken): WorkerSpec {
  const fds: number[] = [];
  const ownedFds = taken.fds;
  const socketFds = new Map<string, number>();
  c.sockets.forEach((name, i) => {
    const { fd, own } = x.sockets.fdForWorker(name);
    fds.push(fd);
    if (own) ownedFds.push(fd);
    socketFds.set(name.toLowerCase(), 3 + i);
  });
  const env: NodeJS.ProcessEnv = c.copy_env ? { ...x.baseEnv } : {};
  Object.assign(env, c.env);
  for (const k of INHERITED_HANDOFF) delete env[k];
  env.RINGMASTER_WATCHER = c.name;
  env.RINGMASTER_WID = String(wid);
  env.RINGMASTER_PRELOAD = PRELOAD_URL;
  if (c.sockets.length > 0) {
    env.LISTEN_FDS = String(c.sockets.length);
    env.LISTEN_FDNAMES = c.sockets.join(':');
    // So that a Node worker re-listens with it without asking the kernel through an FFI.
    env.RINGMASTER_BACKLOGS = c.sockets.map((name) => listenBacklogOf(x.sockets.get(name)?.config)).join(':');
  }
  // Every worker gets one, whatever its readiness check: STATUS= and STOPPING=1 count too.
  const sys = x.sys ?? realWorkerSys;
  const notify = sys.openNotify(`${c.name}.${wid}`);
  taken.notify = notify;
  env.NOTIFY_SOCKET = notify.path;
  if (notify.streamPath !== undefined) env.RINGMASTER_NOTIFY_STREAM = notify.streamPath;
  if (c.watchdog_sec > 0) env.WATCHDOG_USEC = String(Math.round(c.watchdog_sec * 1e6));
  const ctx = { wid, sockets: socketFds, env, options: c as unknown as Record<string, unknown> };
  let argv = c.argv.map((a) => substitute(a, ctx));
  if (c.shell) argv = ['/bin/sh', '-c', argv.join(' ')];
  let file = c.executable ?? (argv[0] as string);
  let args = argv.slice(1);
  if (c.listen_pid) {
    const [sh, ...rest] = withListenPid(c.executable ? [c.executable, ...argv.slice(1)] : argv, argv[0]);
    file = sh as string;
    args = rest;
  }
  const ids = userSwitch(x.ids);
  if (ids.setpriv) {
    args = [...ids.setpriv, '--', file, ...args];
    file = SETPRIV as string;
  }
  // prlimit outside setpriv: it still runs as root, so it may raise what the user could not.
  const limits = rlimitPlan(c.rlimits, sys.hardRlimit);
  if (limits.shim.length > 0 && PRLIMIT) {
    args = [...limits.shim, '--', file, ...args];
    file = PRLIMIT;
  }
  // Outermost, so that it runs as root when the init is: prlimit and setpriv keep the signal
  // state they are started with (and the user may not be able to read ringmaster's files).
  if (c.copy_signals && x.copySignals) ({ file, args } = x.copySignals({ file, args }, [0, 1, 2, ...fds.map((_, i) => 3 + i)]));
  const out = c.output === 'inherit' ? (c.close_child_stdout ? 'ignore' : 'inherit') : 'pipe';
  const err = c.output === 'inherit' ? (c.close_child_stderr ? 'ignore' : 'inherit') : 'pipe';
  const stdio: StdioOptions = [c.close_child_stdin ? 'ignore' : 'inherit', out, err, ...fds];
  return {
    spec: {
      file,
      args,
      env,
      // relative to where ringmaster was started (the init itself has moved to /)
      cwd: c.working_dir === undefined ? x.cwd : resolve(x.cwd, c.working_dir),
      stdio,
      uid: ids.uid,
      gid: ids.gid,
      ownGroup: true,
    },
    ownedFds,
    notify,
    rlimitsAfter: limits.after,
  };
}
