/**
 * Sockets handed to a foreground command (the child of `ringmaster --socket ... -- CMD`, the
 * main command of `ringmaster -c FILE -- CMD`) as a watcher with `use_sockets` gets them:
 * fds 3, 4, ... in order, LISTEN_FDS and LISTEN_FDNAMES set, and `$(circus.sockets.NAME)`
 * in its arguments replaced by the fd number. LISTEN_PID is the caller's: it names the
 * child, whose pid is known only after the fork (withListenPid).
 */
import { substitute } from '../supervisor/substitute.js';

export interface HandedSockets {
  /** [fd in the child, fd in the init] */
  fdMap: Array<[number, number]>;
  env: NodeJS.ProcessEnv;
  command: string[];
}

export function handSockets(sockets: ReadonlyArray<{ name: string; fd: number }>, env: NodeJS.ProcessEnv, command: readonly string[]): HandedSockets {
  const out = { ...env };
  if (sockets.length === 0) return { fdMap: [], env: out, command: [...command] };
  const fdMap: Array<[number, number]> = [];
  const map = new Map<string, number>();
  sockets.forEach((s, i) => {
    fdMap.push([3 + i, s.fd]);
    map.set(s.name, 3 + i);
  });
  out.LISTEN_FDS = String(sockets.length);
  out.LISTEN_FDNAMES = sockets.map((s) => s.name).join(':');
  delete out.LISTEN_PID;
  return { fdMap, env: out, command: command.map((a) => substitute(a, { wid: 1, sockets: map, env: out })) };
}
