/**
 * Two sockets of one config on one address. Linux lets sockets share an address only when
 * every one of them sets SO_REUSEPORT (and they belong to one user, which ringmaster's
 * sockets do); then the kernel spreads the connections over all of them, as Circus does
 * with two so_reuseport sockets on one port: each worker binds its own socket of the group.
 * Any other pair fails the second bind with EADDRINUSE ("another process already listens
 * there", though the other is ringmaster's own), or, for UDP with SO_REUSEADDR, binds and
 * quietly takes the datagrams from the first; two sockets on one unix path would remove
 * (replace = true) or trip over each other's file. Circus's reuseport.ini (one socket with
 * so_reuseport, one without, on 127.0.0.1:8888) fails in Circus too, at the first spawn.
 *
 * Addresses compare as written: what host names resolve to is known only when binding
 * (then the bind error names the other socket, see supervisor/socket-set.ts).
 */
import { posix } from 'node:path';
import { issue } from './errors.js';
import type { ConfigIssue, SocketConfig, SourcePos } from './types.js';

/** Where a socket binds, as far as the config tells. */
export interface Endpoint {
  family: 'inet' | 'inet6' | 'unix';
  /** the host (lower case, no brackets) or the unix path (normalized; `@name` is abstract) */
  address: string;
  port: number;
  /** SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET: a TCP and a UDP socket may share a port */
  type: string;
  v6only?: boolean | undefined;
  reusePort: boolean;
}

const WILDCARD: Record<Endpoint['family'], readonly string[]> = { inet: ['0.0.0.0', ''], inet6: ['::', '0:0:0:0:0:0:0:0'], unix: [] };

function wildcard(e: Endpoint): boolean {
  return WILDCARD[e.family].includes(e.address);
}

/** Whether binding both endpoints in one process fails or steals traffic. */
export function endpointsClash(a: Endpoint, b: Endpoint): boolean {
  if (a.type !== b.type) return false;
  if (a.family === 'unix' || b.family === 'unix') return a.family === b.family && a.address === b.address;
  // port 0: each gets a free port of its own
  if (a.port === 0 || a.port !== b.port || (a.reusePort && b.reusePort)) return false;
  if (a.family === b.family) return a.address === b.address || wildcard(a) || wildcard(b);
  // [::] without IPV6_V6ONLY takes IPv4 too (net.ipv6.bindv6only is 0 by default)
  const six = a.family === 'inet6' ? a : b;
  return wildcard(six) && six.v6only !== true;
}

/** `tcp://127.0.0.1:8080`, `udp://[::]:53`, `unix:/run/app.sock` */
export function endpointUrl(e: Endpoint): string {
  if (e.family === 'unix') return `unix:${e.address}`;
  const scheme = e.type === 'SOCK_DGRAM' ? 'udp' : e.type === 'SOCK_SEQPACKET' ? 'seqpacket' : 'tcp';
  return `${scheme}://${e.family === 'inet6' ? `[${e.address}]` : e.address}:${e.port}`;
}

/** The endpoint of a built socket. */
export function endpointOf(s: SocketConfig): Endpoint {
  const common = { port: s.port, type: s.type, v6only: s.v6only, reusePort: s.so_reuseport };
  if (s.family === 'AF_UNIX') {
    const path = s.path ?? '';
    return { ...common, family: 'unix', address: path.startsWith('@') ? path : posix.normalize(path) };
  }
  const host = s.host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return { ...common, family: s.family === 'AF_INET6' ? 'inet6' : 'inet', address: host };
}

/** Why two sockets may not both be on one address, and the fix. */
function clashText(first: string, firstEnd: Endpoint, second: string, secondEnd: Endpoint): string {
  const where =
    firstEnd.address === secondEnd.address && firstEnd.family === secondEnd.family
      ? `are both on ${endpointUrl(secondEnd)}`
      : `overlap: ${endpointUrl(secondEnd)} and ${endpointUrl(firstEnd)}`;
  if (secondEnd.family === 'unix') return `${second} and ${first} ${where}: one would take the other's file; give one another path`;
  const which = firstEnd.reusePort || secondEnd.reusePort ? ` (only ${firstEnd.reusePort ? first : second} sets it)` : '';
  return `${second} and ${first} ${where}: Linux shares an address only between sockets that all set so_reuseport${which}; set so_reuseport on both (their workers then share the connections) or give one another port`;
}

/** Every pair of sockets on one address: one issue per pair, at the second. */
export function socketClashes(sockets: readonly SocketConfig[], posOf: (name: string) => SourcePos | undefined): ConfigIssue[] {
  const label = (name: string): string => `sockets.${name}`;
  const out: ConfigIssue[] = [];
  const ends = sockets.map(endpointOf);
  sockets.forEach((b, j) => {
    for (let i = 0; i < j; i++) {
      const [a, ea, eb] = [sockets[i] as SocketConfig, ends[i] as Endpoint, ends[j] as Endpoint];
      if (endpointsClash(ea, eb)) out.push(issue('RM_CONFIG_CONFLICT', label(b.name), clashText(label(a.name), ea, label(b.name), eb), posOf(b.name), b.name));
    }
  });
  return out;
}
