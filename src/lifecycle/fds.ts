/**
 * File descriptors the init inherited from whoever started it.
 *
 * A stray inherited fd held by PID 1 keeps a port bound or a pipe's writer alive
 * forever (catatonit #12), so the init hands inherited fds to its child and closes its
 * own copies. Node has already marked every inherited fd close-on-exec and opened its
 * own (epoll, eventfd, signal pipes) by the time our code runs, so we tell them apart by
 * kind: Node's own are anonymous inodes and pipes whose two ends are both ours; anything
 * else at fd >= 3 (sockets, files, a tty, one end of a pipe) came from outside.
 */
import type { OpenFd } from '../sys/proc.js';

export function inheritedFds(fds: readonly OpenFd[]): number[] {
  const pipeEnds = new Map<string, number>();
  for (const { target } of fds) {
    if (target.startsWith('pipe:')) pipeEnds.set(target, (pipeEnds.get(target) ?? 0) + 1);
  }
  const out: number[] = [];
  for (const { fd, target } of fds) {
    if (fd < 3) continue;
    if (target.startsWith('anon_inode:')) continue;
    if (target.startsWith('pipe:') && (pipeEnds.get(target) ?? 0) > 1) continue;
    out.push(fd);
  }
  return out;
}

/**
 * The socket-activation fds named by LISTEN_FDS (systemd's protocol: 3 .. 3+N-1),
 * when LISTEN_PID names us or is unset. Empty when the variables are absent or bad.
 */
export function socketActivationFds(env: NodeJS.ProcessEnv, pid: number): number[] {
  const n = Number(env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0 || n > 1024) return [];
  if (env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) !== pid) return [];
  return Array.from({ length: n }, (_, i) => 3 + i);
}
