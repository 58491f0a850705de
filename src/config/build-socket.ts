/**
 * A validated socket section to a SocketConfig, with the checks that span options:
 *
 * - `path` makes the family AF_UNIX; an explicit AF_INET/AF_INET6 with a path, or
 *   AF_UNIX without one, is an error. An IPv6 literal host implies AF_INET6.
 * - `so_reuseport` needs a TCP/UDP socket (port 0 is fine: the supervisor binds the
 *   first socket of the group, then the others to the port it got).
 * - `v6only` applies to AF_INET6 only; `mode`, `umask`, `owner`, `group`, `replace` to
 *   unix socket files only (not to abstract ones, which have no file); `interface` to
 *   TCP/UDP only. Circus ignores host/port next to a path: a warning.
 */
import { at, issue } from './errors.js';
import type { ConfigIssueCode } from '../errors/codes.js';
import { SOCKET_DEFAULTS } from './defaults.js';
import { dotted, keyPosOf, posOf, type RawSource } from './tree.js';
import type { ConfigIssue, SocketConfig, SocketFamily, SourcePos } from './types.js';

/** Bytes of a unix socket path (or of an abstract name), without the NUL: sun_path is 108. */
export const MAX_UNIX_PATH = 107;
/** Bytes of a network interface name (SO_BINDTODEVICE): IFNAMSIZ is 16 with the NUL. */
const MAX_INTERFACE = 15;

/** Build one socket; problems go to `issues`, notices to `warnings`. */
export function buildSocket(
  name: string,
  o: Record<string, unknown>,
  src: RawSource,
  issues: ConfigIssue[],
  warnings: string[],
): SocketConfig {
  const p = (key: string): string => dotted(['sockets', name, key]);
  const keyAt = (key: string): SourcePos | undefined => keyPosOf(src, ['sockets', name, key]);
  const valueAt = (key: string): SourcePos | undefined => posOf(src, ['sockets', name, key]);
  /** `sockets.NAME.KEY <text>`, at the key (or at the value) */
  const bad = (key: string, text: string, pos = keyAt(key), code: ConfigIssueCode = 'RM_CONFIG_VALUE'): void => {
    issues.push(issue(code, p(key), `${p(key)} ${text}`, pos, o[key]));
  };

  const path = o['path'] as string | undefined;
  const host = (o['host'] as string | undefined) ?? SOCKET_DEFAULTS.host;
  const explicit = o['family'] as SocketFamily | undefined;
  const inferred: SocketFamily = path !== undefined ? 'AF_UNIX' : host.includes(':') ? 'AF_INET6' : 'AF_INET';
  const family = path !== undefined ? 'AF_UNIX' : (explicit ?? inferred);
  if (path !== undefined && explicit !== undefined && explicit !== 'AF_UNIX') {
    bad('family', `is ${explicit} but path is set; remove family (a path means AF_UNIX) or remove path`, valueAt('family'), 'RM_CONFIG_CONFLICT');
  }
  if (family === 'AF_UNIX' && path === undefined) {
    const text = `is AF_UNIX but has no path; add path: /run/${name}.sock (or @${name} for an abstract socket)`;
    issues.push(issue('RM_CONFIG_MISSING', p('path'), `sockets.${name} ${text}`, keyAt('family')));
  }
  if (path === '') bad('path', 'must not be empty', valueAt('path'));
  // sun_path holds 108 bytes: a file path and its NUL, or an abstract name after its leading NUL
  const pathBytes = path === undefined ? 0 : Buffer.byteLength(path.startsWith('@') ? path.slice(1) : path, 'utf8');
  if (pathBytes > MAX_UNIX_PATH) {
    bad('path', `is ${pathBytes} bytes long, longer than a unix socket address holds (${MAX_UNIX_PATH}); use a shorter path`, valueAt('path'));
  }

  const sock = { name, family, ...SOCKET_DEFAULTS, host, path } as SocketConfig;
  for (const key of Object.keys(SOCKET_DEFAULTS) as Array<keyof typeof SOCKET_DEFAULTS>) {
    if (o[key] !== undefined && key !== 'host' && key !== 'path') (sock as unknown as Record<string, unknown>)[key] = o[key];
  }

  const unix = family === 'AF_UNIX';
  if (sock.so_reuseport && unix) bad('so_reuseport', 'applies to TCP/UDP sockets only; remove it or use host/port', undefined, 'RM_CONFIG_CONFLICT');
  if (o['v6only'] !== undefined && family !== 'AF_INET6') {
    bad('v6only', 'applies to AF_INET6 sockets only; remove it or set family: AF_INET6', undefined, 'RM_CONFIG_CONFLICT');
  }
  for (const key of ['mode', 'umask', 'owner', 'group', 'replace'] as const) {
    if (o[key] === undefined) continue;
    if (!unix) bad(key, 'applies to unix sockets only; remove it or set path', undefined, 'RM_CONFIG_CONFLICT');
    else if (path?.startsWith('@')) bad(key, `does not apply to an abstract socket (${path} has no file); remove it`, undefined, 'RM_CONFIG_CONFLICT');
  }
  if (o['interface'] !== undefined && unix) bad('interface', 'applies to TCP/UDP sockets only; remove it', undefined, 'RM_CONFIG_CONFLICT');
  const ifBytes = Buffer.byteLength(sock.interface ?? '', 'utf8');
  if (ifBytes > MAX_INTERFACE) {
    bad('interface', `is ${ifBytes} bytes long, longer than an interface name can be (${MAX_INTERFACE}, IFNAMSIZ - 1); use the name that ip link shows`, valueAt('interface'));
  }
  if (unix && (o['host'] !== undefined || o['port'] !== undefined)) {
    const key = o['host'] !== undefined ? 'host' : 'port';
    warnings.push(`${p(key)}: sockets.${name} has a path, so host and port are ignored${at(keyAt(key))}`);
  }
  return sock;
}
