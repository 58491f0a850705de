/**
 * `--socket NAME=URL` on the command line:
 *
 * - `tcp://HOST:PORT`, `tcp://[V6]:PORT`, `tcp://:PORT` (all IPv4 addresses);
 *   `udp://...` the same for SOCK_DGRAM;
 * - `unix:/path`, `unix:///path`, `unix:relative/path`, `unix:@abstract`.
 *
 * Other socket options keep their defaults.
 */
import { SOCKET_DEFAULTS } from './defaults.js';
import { ConfigError } from './errors.js';
import { NAME_PATTERN } from './schema.js';
import type { SocketConfig } from './types.js';

const USAGE = 'use tcp://HOST:PORT, tcp://[::1]:PORT, udp://HOST:PORT, unix:/path or unix:@name';

/** A SocketConfig from a socket URL; throws ConfigError. */
export function socketFromUrl(name: string, url: string): SocketConfig {
  const fail = (why: string): never => {
    const message = `--socket ${name}=${url}: ${why}`;
    throw new ConfigError([{ code: 'RM_CONFIG_VALUE', path: `--socket ${name}`, message, pos: undefined, value: url }]);
  };
  if (!new RegExp(NAME_PATTERN).test(name)) fail(`"${name}" is not a valid socket name; use letters, digits, _ . -`);
  const base = { ...SOCKET_DEFAULTS, name: name.toLowerCase() };
  const unix = /^unix:(.*)$/i.exec(url);
  if (unix) {
    let path = unix[1] as string;
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '' || path === '@') fail(`no path; ${USAGE}`);
    return { ...base, family: 'AF_UNIX', path };
  }
  const m = /^(tcp|udp)([46])?:\/\/(?:\[([^\]]+)\]|([^:/[\]]*)):(\d+)\/?$/i.exec(url);
  if (!m) return fail(USAGE);
  const v6 = m[3];
  const port = Number(m[5]);
  if (port > 65535) fail(`port must be an integer between 0 and 65535, got ${port}`);
  const host = v6 ?? (m[4] === '' ? (m[2] === '6' ? '::' : '0.0.0.0') : (m[4] as string));
  const family = v6 !== undefined || m[2] === '6' || host.includes(':') ? 'AF_INET6' : 'AF_INET';
  return {
    ...base,
    family,
    host,
    port,
    type: (m[1] as string).toLowerCase() === 'udp' ? 'SOCK_DGRAM' : 'SOCK_STREAM',
  };
}
