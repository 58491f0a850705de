/**
 * The sockets of a config, bound and listening before any worker starts (and before
 * privileges drop), through libc so the init never accepts on them. All or nothing:
 * if one socket cannot be bound, those already bound are closed and a single error
 * names the socket, the address, the reason and the fix.
 *
 * With `so_reuseport`, no shared socket is handed out: each worker gets a socket of its
 * own in the SO_REUSEPORT group (Circus does the same). The init keeps one bound but
 * not listening, which reserves the port (and fixes it when port 0 was asked for)
 * without ever being handed a connection.
 */
import { isIP } from 'node:net';
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import { endpointsClash, type Endpoint } from '../config/socket-clash.js';
import type { SocketConfig } from '../config/types.js';
import type { ReloadPlan } from './reload-plan.js';
import { RingmasterError } from '../errors/codes.js';
import { bindAndListen, closeSocket, closeSockets, localPort, relisten, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, type SockAddr } from '../sys/socket.js';
import { lookupGroup, lookupUser } from '../sys/users.js';

export interface BoundSocket {
  readonly name: string;
  readonly config: SocketConfig;
  /** the fd the workers share; for so_reuseport the reserving fd (bound, not listening) */
  readonly fd: number;
  readonly addr: SockAddr;
  /** `tcp://127.0.0.1:8080`, `tcp://[::1]:8080`, `unix:/run/app.sock`, `unix:@name` */
  readonly url: string;
  /** the real port (for port 0), undefined for unix sockets */
  readonly port: number | undefined;
}

const HINTS: Record<string, string> = {
  EADDRINUSE: 'another process already listens there: stop it, or pick another port',
  EACCES: 'permission denied: ports below 1024 need root (bind before dropping privileges) or net.ipv4.ip_unprivileged_port_start; a unix socket needs write access to its directory',
  EPERM: 'operation not permitted',
  ENOENT: 'the directory of the socket path does not exist: create it first',
  EADDRNOTAVAIL: 'that address is not configured on any interface of this host',
  ENAMETOOLONG: 'a unix socket path is at most 107 bytes',
  EINVAL: 'invalid address for this socket family',
  ENODEV: 'no such network interface',
};

function socketError(s: SocketConfig, url: string, err: unknown, doing = 'bind', twin?: BoundSocket): RingmasterError {
  if (err instanceof RingmasterError) return err;
  const code = (err as { code?: string }).code ?? 'UNKNOWN';
  const own = twin && code === 'EADDRINUSE' ? `socket "${twin.name}" of this configuration already holds ${twin.url}: set so_reuseport on both, or give one another address` : undefined;
  const hint = own ?? HINTS[code] ?? (err as Error).message;
  return new RingmasterError('RM_SOCKET', `socket "${s.name}": cannot ${doing} ${url}: ${code} (${hint})`, { cause: err });
}

function urlOf(addr: SockAddr): string {
  switch (addr.family) {
    case 'inet':
      return `tcp://${addr.address}:${addr.port}`;
    case 'inet6':
      return `tcp://[${addr.address}]:${addr.port}`;
    case 'unix':
      return `unix:${addr.path}`;
  }
}

/** The endpoint of a socket at a resolved address (for port 0, once bound, the port it got). */
function endpointAt(s: SocketConfig, addr: SockAddr): Endpoint {
  const where = addr.family === 'unix' ? { address: addr.path, port: 0 } : { address: addr.address, port: addr.port };
  return { family: addr.family, ...where, type: s.type, v6only: s.v6only, reusePort: s.so_reuseport };
}

function typeOf(s: SocketConfig): number {
  return s.type === 'SOCK_DGRAM' ? SOCK_DGRAM : s.type === 'SOCK_SEQPACKET' ? SOCK_SEQPACKET : SOCK_STREAM;
}

/** Resolve the address to bind: an IP literal as it is; a name with getaddrinfo, IPv4 first unless AF_INET6. */
async function resolve(s: SocketConfig): Promise<SockAddr> {
  if (s.family === 'AF_UNIX' || s.path !== undefined) return { family: 'unix', path: s.path ?? '' };
  const host = s.host.startsWith('[') && s.host.endsWith(']') ? s.host.slice(1, -1) : s.host;
  const literal = isIP(host);
  if (literal === 4) return { family: 'inet', address: host, port: s.port };
  if (literal === 6) return { family: 'inet6', address: host, port: s.port };
  const want = s.family === 'AF_INET6' ? 6 : 4;
  let results: Array<{ address: string; family: number }>;
  try {
    // node:dns only for a host name: most configs give an address
    const { lookup } = await import('node:dns/promises');
    results = await lookup(host, { all: true });
  } catch (err) {
    throw new RingmasterError('RM_SOCKET', `socket "${s.name}": cannot resolve host "${s.host}": ${(err as { code?: string }).code ?? err} (check the name, or use an IP address)`, { cause: err });
  }
  const pick = results.find((r) => r.family === want) ?? results[0];
  if (!pick) throw new RingmasterError('RM_SOCKET', `socket "${s.name}": host "${s.host}" resolves to no address`);
  return pick.family === 6 ? { family: 'inet6', address: pick.address, port: s.port } : { family: 'inet', address: pick.address, port: s.port };
}

function prepareUnixPath(s: SocketConfig, path: string): void {
  if (path.startsWith('@')) return;
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) {
    throw new RingmasterError('RM_SOCKET', `socket "${s.name}": ${path} exists and is not a socket: remove it or choose another path`);
  }
  if (!s.replace) {
    throw new RingmasterError('RM_SOCKET', `socket "${s.name}": ${path} already exists (a stale socket?): set replace = true to remove it at start`);
  }
  unlinkSync(path);
}

/** uid and gid for the socket file (-1: leave as is); throws RM_SOCKET for a name that is unknown. */
function ownership(s: SocketConfig): { uid: number; gid: number } {
  const user = s.owner === undefined ? undefined : lookupUser(s.owner);
  if (s.owner !== undefined && !user) throw new RingmasterError('RM_SOCKET', `socket "${s.name}": unknown owner "${s.owner}"`);
  const gid = s.group === undefined ? -1 : lookupGroup(s.group);
  if (gid === undefined) throw new RingmasterError('RM_SOCKET', `socket "${s.name}": unknown group "${s.group}"`);
  return { uid: user?.uid ?? -1, gid };
}

function finishUnixPath(s: SocketConfig, path: string): void {
  if (path.startsWith('@')) return;
  const own = ownership(s);
  if (s.mode !== undefined) chmodSync(path, s.mode);
  if (own.uid !== -1 || own.gid !== -1) chownSync(path, own.uid, own.gid);
}

function bindOne(s: SocketConfig, addr: SockAddr, listen: boolean): number {
  const opts = {
    type: typeOf(s),
    backlog: s.backlog,
    reusePort: s.so_reuseport,
    v6only: s.v6only,
    nonBlocking: !s.blocking,
    bindToDevice: s.interface,
    noListen: !listen,
  };
  if (addr.family !== 'unix') return bindAndListen(addr, opts);
  // The umask applies to the socket file bind() creates: set it only around the call.
  const old = process.umask(s.umask);
  try {
    return bindAndListen(addr, opts);
  } finally {
    process.umask(old);
  }
}

/** The socket part of a reload's plan (ReloadPlan, reload-plan.ts). */
export type SocketPlan = Pick<ReloadPlan, 'socketsAdded' | 'socketsChanged' | 'socketsUpdated' | 'socketsRemoved'>;

/** A reload's socket changes, staged by SocketSet.prepare(). Each step is called at most once, in order. */
export interface SocketChange {
  /**
   * Put the staged change in force: the in-place updates (backlog, unix file mode and
   * owner), then the new sockets replace the old ones of the same name. Throws RM_SOCKET when
   * an in-place update fails: then nothing changed and the new sockets are closed.
   */
  commit(): void;
  /** Before commit(): close the new sockets; nothing changed. */
  abort(): void;
  /** After commit(), once the watchers moved: close the removed sockets and the old copies of the changed ones. */
  closeOld(): void;
}

export class SocketSet {
  readonly #sockets = new Map<string, BoundSocket>();
  #closed = false;

  private constructor() {}

  /** Bind every socket, in order. Throws RingmasterError RM_SOCKET, having closed what it bound. */
  static async bind(configs: readonly SocketConfig[]): Promise<SocketSet> {
    const set = new SocketSet();
    try {
      for (const s of configs) {
        const addr = await resolve(s);
        let url = urlOf(addr);
        let fd: number;
        try {
          if (addr.family === 'unix') prepareUnixPath(s, addr.path);
          fd = bindOne(s, addr, !s.so_reuseport);
        } catch (err) {
          if (err instanceof RingmasterError) throw err;
          // host names are resolved only now: two that name one address clash here, not in the config
          const mine = endpointAt(s, addr);
          const twin = [...set.#sockets.values()].find((b) => endpointsClash(endpointAt(b.config, b.addr), mine));
          throw socketError(s, url, err, 'bind', twin);
        }
        let port: number | undefined;
        let bound: SockAddr = addr;
        if (addr.family !== 'unix') {
          port = localPort(fd);
          bound = { ...addr, port };
          url = urlOf(bound);
        } else {
          try {
            finishUnixPath(s, addr.path);
          } catch (err) {
            closeSocket(fd);
            if (err instanceof RingmasterError) throw err;
            throw socketError(s, url, err);
          }
        }
        set.#sockets.set(s.name, { name: s.name, config: s, fd, addr: bound, url, port });
      }
    } catch (err) {
      set.close();
      throw err;
    }
    return set;
  }

  /**
   * Give bound sockets new options that need no new bind (a reload's socketsUpdated): the
   * backlog through listen() again, the unix file's mode and owner; the fd stays the same.
   * Owner and group names are all checked before anything changes.
   */
  update(configs: readonly SocketConfig[]): void {
    const todo = configs.flatMap((config) => {
      const b = this.get(config.name);
      return b ? [{ config, b, own: ownership(config) }] : [];
    });
    // The socket files first: chmod/chown can fail (EPERM once ringmaster has dropped its
    // privileges), and each one done is undone when a later one fails.
    const undo: Array<() => void> = [];
    for (const { config, b, own } of todo) {
      const path = b.addr.family === 'unix' && !b.addr.path.startsWith('@') ? b.addr.path : undefined;
      const modeChanged = config.mode !== undefined && config.mode !== b.config.mode;
      const ownerChanged = config.owner !== b.config.owner || config.group !== b.config.group;
      if (path === undefined || (!modeChanged && !ownerChanged)) continue;
      try {
        const st = lstatSync(path);
        if (modeChanged) {
          chmodSync(path, config.mode as number);
          undo.push(() => chmodSync(path, st.mode & 0o7777));
        }
        if (ownerChanged && (own.uid !== -1 || own.gid !== -1)) {
          chownSync(path, own.uid, own.gid);
          undo.push(() => chownSync(path, st.uid, st.gid));
        }
      } catch (err) {
        for (const u of undo.reverse()) {
          try {
            u();
          } catch {
            // as far as it goes
          }
        }
        throw socketError(config, b.url, err, 'update');
      }
    }
    for (const { config, b } of todo) {
      // A new backlog: listen() again, on stream sockets (a datagram socket has no queue;
      // with so_reuseport each worker's socket takes it at its next spawn).
      const listening = config.type !== 'SOCK_DGRAM' && !config.so_reuseport;
      if (listening && config.backlog !== b.config.backlog) relisten(b.fd, config.backlog);
      this.#sockets.set(config.name, { ...b, config });
    }
  }

  /**
   * Stage a reload's socket changes: the new sockets (added, or at another address) are
   * bound now, and nothing the workers see changes until `commit()`. Throws RingmasterError
   * RM_SOCKET, having changed nothing, when one cannot be bound.
   *
   *   staged --commit()--> committed --closeOld()--> done
   *     |                     (the workers spawned from now on get the new sockets)
   *     +--abort(), or a commit() that throws--> aborted (the new sockets closed)
   */
  async prepare(plan: SocketPlan): Promise<SocketChange> {
    const fresh = await SocketSet.bind([...plan.socketsAdded, ...plan.socketsChanged]);
    /** the old copies of the changed sockets, out of the set but open until their watchers moved */
    const retired: BoundSocket[] = [];
    let state: 'staged' | 'committed' | 'aborted' | 'done' = 'staged';
    const expect = (want: typeof state, step: string): void => {
      if (state !== want) throw new Error(`SocketChange.${step}() when ${state}`);
    };
    return {
      commit: () => {
        expect('staged', 'commit');
        try {
          // The last step that can fail (a listen() or a chmod/chown), and it undoes itself.
          this.update(plan.socketsUpdated);
        } catch (err) {
          state = 'aborted';
          fresh.close();
          throw err;
        }
        for (const s of plan.socketsChanged) {
          const old = this.#take(s.name);
          if (old) retired.push(old);
        }
        for (const [name, b] of fresh.#sockets) this.#sockets.set(name, b);
        fresh.#sockets.clear();
        state = 'committed';
      },
      abort: () => {
        expect('staged', 'abort');
        state = 'aborted';
        fresh.close();
      },
      closeOld: () => {
        expect('committed', 'closeOld');
        state = 'done';
        for (const name of plan.socketsRemoved) {
          const b = this.#take(name);
          if (b) closeBound(b);
        }
        // A changed socket's file is not removed: its name may be in use again by then.
        for (const b of retired) closeBound(b, false);
      },
    };
  }

  #take(name: string): BoundSocket | undefined {
    const b = this.#sockets.get(name.toLowerCase());
    this.#sockets.delete(name.toLowerCase());
    return b;
  }

  get(name: string): BoundSocket | undefined {
    return this.#sockets.get(name.toLowerCase());
  }

  list(): BoundSocket[] {
    return [...this.#sockets.values()];
  }

  /**
   * The fd a worker gets for socket `name`: the shared one, or for so_reuseport a new
   * listening socket in the group, which the caller closes once the worker is spawned.
   */
  fdForWorker(name: string): { fd: number; own: boolean } {
    const b = this.get(name);
    if (!b) throw new Error(`no socket named ${name}`);
    if (!b.config.so_reuseport) return { fd: b.fd, own: false };
    return { fd: bindOne(b.config, b.addr, true), own: true };
  }

  /** Close every socket and remove the unix socket files we created. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const b of this.#sockets.values()) closeBound(b);
    this.#sockets.clear();
  }
}

/** Close one bound socket and remove its unix socket file. */
function closeBound(b: BoundSocket, unlink = true): void {
  closeSockets([b.fd]);
  if (unlink && b.addr.family === 'unix' && !b.addr.path.startsWith('@')) {
    try {
      if (lstatSync(b.addr.path).isSocket()) unlinkSync(b.addr.path);
    } catch {
      // gone already
    }
  }
}
