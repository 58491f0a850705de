/**
 * The init's own privilege drop: after the sockets are bound (ports below 1024 need root),
 * become `user`/`group` for good, supplementary groups included.
 */
import { RingmasterError } from '../errors/codes.js';
import { lookupIds } from '../sys/users.js';
import { libc } from '../sys/ffi.js';

/** Drop to `user`/`group` (names or ids), supplementary groups included. Root only. */
export function dropPrivileges(user: string | undefined, group: string | undefined): { uid: number; gid: number } | undefined {
  if (user === undefined && group === undefined) return undefined;
  const target = lookupIds(user, group);
  if (!target.ok) {
    throw target.unknown === 'user'
      ? new RingmasterError('RM_PRIVILEGES', `ringmaster.user: unknown user "${user}" (no entry in /etc/passwd; use a numeric uid)`)
      : new RingmasterError('RM_PRIVILEGES', `ringmaster.group: unknown group "${group}" (no entry in /etc/group; use a numeric gid)`);
  }
  // After the drop the install directory may be unreadable (a 0700 checkout, user: nobody):
  // what loads on first use must be loaded now. The FFI is (every worker gets a notify
  // socket made through libc); it used to load before only when an inherited fd was closed.
  libc();
  const u = target.user;
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
