/**
 * Config mode: bind the sockets, drop privileges, run the watchers, shut down in order.
 *
 *   binding --sockets bound, privileges dropped--> running
 *   running --SIGTERM/INT/QUIT, or a watcher's exit_on--> draining (drain_delay)
 *   draining --delay over, or a second signal--> stopping (watchers in reverse priority)
 *   stopping --all stopped, or graceful_timeout over (then SIGKILL)--> closing
 *   closing --descendants gone, sockets closed--> done(code)
 *
 * Exit code: the one a watcher's exit_on asked for; otherwise 0 when everything stopped
 * within the grace period, 1 when something had to be killed.
 */
import type { Config } from '../config/types.js';
import { RingmasterError } from '../errors/codes.js';
import { Arbiter } from '../supervisor/arbiter.js';
import { SocketSet } from '../supervisor/socket-set.js';
import { assertNever } from '../supervisor/process.js';
import { lookupGroup, lookupUser } from '../sys/users.js';
import type { InitRuntime } from './runtime.js';

type Phase =
  | { kind: 'binding' }
  | { kind: 'running' }
  | { kind: 'draining'; skip: () => void }
  | { kind: 'stopping' }
  | { kind: 'closing' }
  | { kind: 'done' };

const SHUTDOWN_SIGNALS = new Set<NodeJS.Signals>(['SIGTERM', 'SIGINT', 'SIGQUIT']);

/** Drop to `user`/`group` (names or ids), supplementary groups included. Root only. */
export function dropPrivileges(user: string | undefined, group: string | undefined): { uid: number; gid: number } | undefined {
  if (user === undefined && group === undefined) return undefined;
  const u = user === undefined ? undefined : lookupUser(user);
  if (user !== undefined && !u) {
    throw new RingmasterError('RM_PRIVILEGES', `ringmaster.user: unknown user "${user}" (no entry in /etc/passwd; use a numeric uid)`);
  }
  const gid = group !== undefined ? lookupGroup(group) : u?.gid;
  if (gid === undefined) {
    throw new RingmasterError('RM_PRIVILEGES', `ringmaster.group: unknown group "${group}" (no entry in /etc/group; use a numeric gid)`);
  }
  // POSIX-only methods of process: present on Linux, optional in the types.
  const p = process as unknown as {
    initgroups(user: string, gid: number): void;
    setgroups(groups: number[]): void;
    setgid(gid: number): void;
    setuid(uid: number): void;
  };
  try {
    if (u?.name) p.initgroups(u.name, gid);
    else p.setgroups([gid]);
    p.setgid(gid);
    if (u) p.setuid(u.uid);
  } catch (err) {
    throw new RingmasterError('RM_PRIVILEGES', `cannot drop privileges to user ${user ?? '(unchanged)'} group ${group ?? gid}: ${(err as Error).message} (ringmaster must start as root to change user)`, { cause: err });
  }
  return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
}

export class ConfigInit {
  #phase: Phase = { kind: 'binding' };
  readonly #rt: InitRuntime;
  readonly #config: Config;
  #arbiter: Arbiter | undefined;
  #sockets: SocketSet | undefined;
  #exitCode: number | undefined;
  #shutdown: (() => void) | undefined;

  readonly #cwd: string;

  /** `cwd`: the invocation's directory, the workers' default working_dir (the init itself moves to /). */
  constructor(runtime: InitRuntime, config: Config, cwd: string = process.cwd()) {
    this.#rt = runtime;
    this.#config = config;
    this.#cwd = cwd;
  }

  get phase(): Phase['kind'] {
    return this.#phase.kind;
  }

  get arbiter(): Arbiter | undefined {
    return this.#arbiter;
  }

  /** Run to the end; resolves with the init's exit code. Throws RingmasterError when start-up fails (nothing is left running). */
  async run(): Promise<number> {
    const log = this.#rt.log;
    const g = this.#config.ringmaster;
    this.#sockets = await SocketSet.bind(this.#config.sockets);
    for (const s of this.#sockets.list()) log.info('socket listening', { socket: s.name, url: s.url, fd: s.fd });
    try {
      const ids = dropPrivileges(g.user, g.group);
      if (ids) log.info('dropped privileges', { uid: ids.uid, gid: ids.gid });
      if (g.umask !== undefined) process.umask(g.umask);
      this.#arbiter = new Arbiter(this.#config, this.#sockets, {
        log,
        own: (p) => this.#rt.reaper.own(p),
        disown: (p) => this.#rt.reaper.disown(p),
        now: Date.now,
        baseEnv: process.env,
        cwd: this.#cwd,
        requestExit: (code, reason) => {
          log.warn(`shutting down: ${reason}`, { exit_code: code });
          if (this.#exitCode === undefined) this.#exitCode = code;
          this.#beginShutdown();
        },
      });
    } catch (err) {
      this.#sockets.close();
      throw err;
    }
    const stopRequested = new Promise<void>((resolve) => (this.#shutdown = resolve));
    // Sockets made through libc and signal listeners are no libuv handles that keep the
    // event loop alive: without this, an init whose workers are all down would just exit.
    const keepAlive = setInterval(() => {}, 1 << 30);
    this.#rt.start((signal) => this.#onSignal(signal));
    this.#phase = { kind: 'running' };
    await this.#arbiter.start();
    log.info('all watchers started', { watchers: this.#arbiter.watchers.length });
    await stopRequested;
    try {
      return await this.#stop();
    } finally {
      clearInterval(keepAlive);
    }
  }

  #onSignal(signal: NodeJS.Signals): void {
    const p = this.#phase;
    const log = this.#rt.log;
    switch (p.kind) {
      case 'binding':
      case 'done':
        return;
      case 'running':
        if (SHUTDOWN_SIGNALS.has(signal)) {
          log.info('shutting down', { signal });
          this.#beginShutdown();
          return;
        }
        this.#forward(signal);
        return;
      case 'draining':
        if (SHUTDOWN_SIGNALS.has(signal)) {
          log.info('second shutdown signal: skipping the drain delay', { signal });
          p.skip();
          return;
        }
        this.#forward(signal);
        return;
      case 'stopping':
      case 'closing':
        if (!SHUTDOWN_SIGNALS.has(signal)) this.#forward(signal);
        return;
      default:
        assertNever(p);
    }
  }

  #forward(signal: NodeJS.Signals): void {
    if (signal === 'SIGHUP' || signal === 'SIGTTIN' || signal === 'SIGTTOU') {
      this.#rt.log.info(`${signal} received: not forwarded (reserved for reload and scaling)`);
      return;
    }
    const n = this.#arbiter?.forward(signal) ?? 0;
    this.#rt.log.debug('forwarded signal', { signal, workers: n });
  }

  #beginShutdown(): void {
    if (this.#phase.kind !== 'running' && this.#phase.kind !== 'binding') return;
    this.#shutdown?.();
  }

  async #stop(): Promise<number> {
    const log = this.#rt.log;
    const g = this.#config.ringmaster;
    const arbiter = this.#arbiter as Arbiter;
    if (g.drain_delay > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, g.drain_delay * 1000);
        this.#phase = { kind: 'draining', skip: () => (clearTimeout(t), resolve()) };
        log.info('draining before stopping the watchers', { seconds: g.drain_delay });
      });
    }
    this.#phase = { kind: 'stopping' };
    const deadline = Date.now() + g.graceful_timeout * 1000;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      log.warn('graceful_timeout over: killing what is left', { seconds: g.graceful_timeout });
      arbiter.destroy();
      this.#rt.signalDescendants('SIGKILL');
    }, g.graceful_timeout * 1000);
    await arbiter.stop();
    clearTimeout(timer);
    this.#phase = { kind: 'closing' };
    if ((await this.#rt.terminateDescendants(Math.max(deadline, Date.now()))) > 0) killed = true;
    this.#sockets?.close();
    this.#phase = { kind: 'done' };
    this.#rt.dispose();
    const code = this.#exitCode ?? (killed ? 1 : 0);
    log.info('stopped', { exit_code: code });
    return code;
  }
}
