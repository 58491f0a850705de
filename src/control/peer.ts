/**
 * Who sent a control request: the kernel's record of the connecting process (SO_PEERCRED),
 * read once per connection (it is fixed at connect()), as log fields, and whether that
 * sender may control this init: its own user or root, whatever the socket file's mode.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { ControlError } from '../lifecycle/api.js';
import { peerCredentials, socketFd } from '../sys/peercred.js';
import { CTL_CODES } from './protocol.js';
import { describeUid } from './private-dir.js';

export interface Peer {
  /** peer_pid, peer_uid, peer_gid; empty when the kernel could not be asked */
  fields: Record<string, number>;
  /** set when the sender may not control this init */
  refusal: ControlError | undefined;
}

export function peerOf(sock: Socket, log: Logger): Peer {
  const fd = socketFd(sock);
  if (fd === undefined) {
    log.debug('control connection: no fd to ask SO_PEERCRED on; sender unknown');
    return { fields: {}, refusal: undefined };
  }
  let cred;
  try {
    cred = peerCredentials(fd);
  } catch (err) {
    log.debug('control connection: SO_PEERCRED failed; sender unknown', { error: (err as Error).message });
    return { fields: {}, refusal: undefined };
  }
  const fields = { peer_pid: cred.pid, peer_uid: cred.uid, peer_gid: cred.gid };
  const own = process.geteuid?.() ?? 0;
  const refusal =
    cred.uid === own || cred.uid === 0
      ? undefined
      : new ControlError(CTL_CODES.FORBIDDEN, `${describeUid(cred.uid)} may not control this ringmaster; run ringmaster ctl as ${describeUid(own)} or root`);
  return { fields, refusal };
}
