/**
 * Accept queues of the listening sockets (the autoscaling signal: connections the kernel
 * holds that no worker has accepted yet) and the namespace's listen overflows and drops.
 */
import type { Registry } from 'prom-client';
import { counter, gauge, type Sample } from './define.js';
import type { Scrape } from './scrape.js';

export function socketMetrics(registry: Registry, scrape: () => Scrape): void {
  const socket = ['socket'] as const;
  gauge(registry, {
    name: 'ringmaster_socket_accept_queue',
    help: 'Connections waiting in the accept queue of the listening socket (rx_queue of its LISTEN row in /proc/net/tcp or tcp6; summed over an SO_REUSEPORT group).',
    labelNames: socket,
    *samples(): Iterable<Sample<'socket'>> {
      for (const q of scrape().queues()) yield [{ socket: q.socket }, q.queued];
    },
  });
  gauge(registry, {
    name: 'ringmaster_socket_accept_queue_max',
    help: 'Size of the accept queue of the listening socket, as the kernel has it (TCP_INFO: whatever listen() a worker called on it last); for an SO_REUSEPORT group, min(backlog, net.core.somaxconn) times its listeners.',
    labelNames: socket,
    *samples(): Iterable<Sample<'socket'>> {
      for (const q of scrape().queues()) yield [{ socket: q.socket }, q.max];
    },
  });
  const tcpExt = (key: 'overflows' | 'drops') =>
    function* (): Iterable<Sample<never>> {
      const c = scrape().tcpExt();
      if (c) yield [{}, c[key]];
    };
  counter(registry, {
    name: 'ringmaster_listen_overflows_total',
    help: 'Connections dropped because an accept queue was full, in this network namespace (TcpExt ListenOverflows).',
    labelNames: [],
    samples: tcpExt('overflows'),
  });
  counter(registry, {
    name: 'ringmaster_listen_drops_total',
    help: 'Connections dropped at a listening socket for any reason, overflows included, in this network namespace (TcpExt ListenDrops).',
    labelNames: [],
    samples: tcpExt('drops'),
  });
}
