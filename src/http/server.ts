/**
 * The init's HTTP endpoint, on node:http with no framework:
 *
 *   GET /metrics           Prometheus text, or OpenMetrics when Accept asks for it (a private
 *                          registry; 404 when metrics are off)
 *   GET /livez             200 `ok` while the event loop answers and no watcher is stuck short of
 *                          workers (a FATAL one, a resource shortage past its grace): see readiness.ts
 *   GET /readyz, /healthz  200 or 503 with JSON: see readiness.ts
 *
 * HEAD is answered like GET without a body; other methods get 405, other paths 404.
 * prom-client is imported on the first start with metrics on, so an init that serves
 * only probes never loads it.
 *
 * Every connection costs the init a file descriptor, the same fds its workers' spawns
 * need: so the endpoint holds at most `maxConnections`, and times out idle ones and slow
 * requests (HttpLimits). At the cap, a new connection closes the oldest one that has no
 * request in progress, not itself: probes get through a crowd of idle connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { RingmasterError } from '../errors/codes.js';
import type { InitSnapshot } from '../lifecycle/api.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/index.js';
import { negotiateExposition } from './accept.js';
import { liveness, readiness } from './readiness.js';

export { liveness, readiness, type ReadinessBody, type NotReady } from './readiness.js';

/** What one client can hold of the init's endpoint. */
export interface HttpLimits {
  /** connections open at once; beyond, the oldest idle one is closed. @default 64 */
  maxConnections: number;
  /** a connection with no byte in either direction for this long is closed. @default 10000 */
  idleTimeoutMs: number;
  /** the request headers must be in within this long. @default 5000 */
  headersTimeoutMs: number;
  /** the whole request must be in within this long. @default 10000 */
  requestTimeoutMs: number;
  /** a keep-alive connection is closed this long after its last response. @default 5000 */
  keepAliveTimeoutMs: number;
}

export const HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxConnections: 64,
  idleTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
});

/** Accept errors that mean the init is out of fds: logged once until a connection gets in again. */
const FD_ERRORS = new Set(['EMFILE', 'ENFILE']);

export interface HttpEndpointOptions {
  /** address to listen on (`0.0.0.0`, `::`, `127.0.0.1`...) */
  host: string;
  /** 0 picks a free port (see the returned `port`) */
  port: number;
  snapshot: () => InitSnapshot;
  log: Logger;
  /** serve /metrics. @default true */
  metrics?: boolean;
  /** @default HTTP_LIMITS */
  limits?: Partial<HttpLimits>;
}

export interface HttpEndpoint {
  port: number;
  /** http://host:port */
  url: string;
  /** Stop listening and drop every connection (keep-alive ones included). Idempotent. */
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'content-type': type, 'content-length': buf.length, 'cache-control': 'no-store', ...headers });
  // Node writes no body for HEAD; end() without one keeps that explicit.
  if (req.method === 'HEAD') res.end();
  else res.end(buf);
}

/** Serve /metrics, /livez, /readyz and /healthz. Resolves once listening; rejects if it cannot bind. */
export async function startHttpEndpoint(o: HttpEndpointOptions): Promise<HttpEndpoint> {
  const limits: HttpLimits = { ...HTTP_LIMITS, ...o.limits };
  const stats = { connectionsDropped: 0 };
  const [mod, om] = o.metrics === false ? [] : await Promise.all([import('../metrics/index.js'), import('../metrics/openmetrics.js')]);
  const metrics: Metrics | undefined = mod?.createMetrics(o.snapshot, () => stats);
  /** made on the first scrape that asks for OpenMetrics (metrics/openmetrics.ts says why apart) */
  let openMetrics: Metrics | undefined;

  const serveMetrics = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!metrics || !mod || !om) return send(req, res, 404, TEXT, 'metrics are off\n');
    const m = negotiateExposition(req.headers.accept) === 'openmetrics' ? (openMetrics ??= om.asOpenMetrics(mod.createMetrics(o.snapshot, () => stats))) : metrics;
    let text: string;
    try {
      text = await m.render();
    } catch (err) {
      o.log.error('metrics scrape failed', { error: (err as Error).message });
      return send(req, res, 500, TEXT, `scrape failed: ${(err as Error).message}\n`);
    }
    send(req, res, 200, m.contentType, text, { vary: 'Accept' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const known = path === '/metrics' || path === '/livez' || path === '/readyz' || path === '/healthz';
    if (!known) return send(req, res, 404, TEXT, 'not found: try /metrics, /livez, /readyz\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, TEXT, 'method not allowed\n', { allow: 'GET, HEAD' });
    switch (path) {
      case '/livez': {
        const l = livenessOf(o);
        return send(req, res, l.ok ? 200 : 503, TEXT, l.body);
      }
      case '/metrics':
        return serveMetrics(req, res);
      default: {
        const r = readiness(o.snapshot());
        return send(req, res, r.ok ? 200 : 503, JSON_TYPE, `${JSON.stringify(r.body)}\n`);
      }
    }
  };

  // Connections in the order they came, each with its number of requests in progress.
  const connections = new Map<Socket, number>();
  let shedding = false;
  let acceptFailing = false;
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    const socket = req.socket;
    if (connections.has(socket)) {
      connections.set(socket, (connections.get(socket) ?? 0) + 1);
      res.once('close', () => {
        const n = connections.get(socket);
        if (n !== undefined) connections.set(socket, Math.max(0, n - 1));
      });
    }
    handle(req, res).catch((err: unknown) => {
      o.log.error('http request failed', { path: req.url, error: (err as Error).message });
      if (!res.headersSent) send(req, res, 500, TEXT, 'internal error\n');
      else res.destroy();
    });
  });
  // A probe or scraper that sends garbage or hangs up mid-request: drop it quietly.
  server.on('clientError', (_err, socket) => socket.destroy());
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // With no 'timeout' listener, node:http destroys a socket idle that long.
  server.setTimeout(limits.idleTimeoutMs);
  server.on('connection', (socket: Socket) => {
    acceptFailing = false;
    connections.set(socket, 0);
    socket.once('close', () => {
      connections.delete(socket);
      if (shedding && connections.size <= limits.maxConnections / 2) shedding = false;
    });
    if (connections.size <= limits.maxConnections) return;
    let victim = socket;
    for (const [s, busy] of connections) {
      if (s !== socket && busy === 0) {
        victim = s;
        break;
      }
    }
    connections.delete(victim);
    victim.destroy();
    stats.connectionsDropped++;
    if (!shedding) {
      shedding = true;
      o.log.warn('http endpoint: too many connections, closing the oldest idle ones', { max_connections: limits.maxConnections });
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const where = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
      const hint = err.code === 'EADDRINUSE' ? ': another process listens there; set http_port to a free port' : err.code === 'EACCES' ? ': ports below 1024 need privileges; use http_port >= 1024' : '';
      reject(new RingmasterError('RM_SOCKET', `http endpoint cannot listen on ${where}: ${err.code ?? err.message}${hint}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ host: o.host, port: o.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    // accept() out of fds: libuv drops the connection and tries again on the next one.
    if (FD_ERRORS.has(err.code ?? '')) {
      if (!acceptFailing) o.log.error('http endpoint cannot accept connections: out of file descriptors', { error: err.code });
      acceptFailing = true;
      return;
    }
    o.log.error('http endpoint error', { error: err.message });
  });

  const port = (server.address() as AddressInfo).port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  o.log.info('http endpoint listening', { url, metrics: metrics !== undefined, max_connections: limits.maxConnections });

  let closing: Promise<void> | undefined;
  return {
    port,
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The /livez answer; a snapshot that throws (a bug, logged by /readyz) leaves it at `ok`: the loop turns. */
function livenessOf(o: HttpEndpointOptions): { ok: boolean; body: string } {
  let snap: InitSnapshot;
  try {
    snap = o.snapshot();
  } catch {
    return { ok: true, body: 'ok\n' };
  }
  return liveness(snap);
}
