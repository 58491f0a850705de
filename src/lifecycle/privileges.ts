/**
 * The init's own privilege drop: after the sockets are bound (ports below 1024 need root),
 * become `user`/`group` for good, supplementary groups included.
 */
import { RingmasterError } from '../errors/codes.js';
import { lookupGroup, lookupUser, type UserEntry } from '../sys/users.js';

/**
 * Whom `user`/`group` (names or ids) are: the user's passwd entry and the gid (the group's,
 * else the user's); a RingmasterError naming what names nobody.
 */
export function dropTarget(user: string | undefined, group: string | undefined): { u: UserEntry | undefined; gid: number | undefined } | RingmasterError {
  const u = user === undefined ? undefined : lookupUser(user);
  if (user !== undefined && !u) {
    return new RingmasterError('RM_PRIVILEGES', `ringmaster.user: unknown user "${user}" (no entry in /etc/passwd; use a numeric uid)`);
  }
  const gid = group !== undefined ? lookupGroup(group) : u?.gid;
  if (group !== undefined && gid === undefined) {
    return new RingmasterError('RM_PRIVILEGES', `ringmaster.group: unknown group "${group}" (no entry in /etc/group; use a numeric gid)`);
  }
  return { u, gid };
}

/** Drop to `user`/`group` (names or ids), supplementary groups included. Root only. */
export function dropPrivileges(user: string | undefined, group: string | undefined): { uid: number; gid: number } | undefined {
  if (user === undefined && group === undefined) return undefined;
  const target = dropTarget(user, group);
  if (target instanceof RingmasterError) throw target;
  const { u } = target;
  // one of user (whose entry has a gid) and group was given, and both resolved
  const gid = target.gid as number;
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
