/**
 * User and group lookup from /etc/passwd and /etc/group (Node has no getpwnam).
 * Numeric ids are accepted as they are, even without an entry (common in containers:
 * `USER 10001` with no passwd line).
 */
import { readFileSync } from 'node:fs';

export interface UserEntry {
  name: string | undefined;
  uid: number;
  gid: number;
  home: string | undefined;
}

function lines(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** Resolve a user name or uid. Undefined when a name is unknown. */
export function lookupUser(user: string, passwd = '/etc/passwd'): UserEntry | undefined {
  const rows = lines(passwd);
  if (/^\d+$/.test(user)) {
    const uid = Number(user);
    const row = rows.find((r) => Number(r[2]) === uid);
    return { name: row?.[0], uid, gid: row ? Number(row[3]) : uid, home: row?.[5] };
  }
  const row = rows.find((r) => r[0] === user);
  if (!row) return undefined;
  return { name: user, uid: Number(row[2]), gid: Number(row[3]), home: row[5] };
}

/** Resolve a group name or gid. Undefined when a name is unknown. */
export function lookupGroup(group: string, groupFile = '/etc/group'): number | undefined {
  if (/^\d+$/.test(group)) return Number(group);
  const row = lines(groupFile).find((r) => r[0] === group);
  return row ? Number(row[2]) : undefined;
}

/** Whom a user and a group are together, or which of the two names nobody. */
export type IdsLookup = { ok: true; user: UserEntry | undefined; gid: number | undefined } | { ok: false; unknown: 'user' | 'group' };

/**
 * Resolve a user and a group (names or ids, either may be absent) the way a privilege drop
 * applies them: the gid is the group's when one is given, else the user's own.
 */
export function lookupIds(user: string | undefined, group: string | undefined): IdsLookup {
  const u = user === undefined ? undefined : lookupUser(user);
  if (user !== undefined && !u) return { ok: false, unknown: 'user' };
  const gid = group !== undefined ? lookupGroup(group) : u?.gid;
  if (group !== undefined && gid === undefined) return { ok: false, unknown: 'group' };
  return { ok: true, user: u, gid };
}
