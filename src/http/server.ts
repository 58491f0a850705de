/**
 * The init's HTTP endpoint, on node:http with no framework:
 *
 *   GET /metrics           Prometheus text (a private registry; 404 when metrics are off)
 *   GET /livez             200 `ok` whenever the event loop answers (a blocked loop times the probe out)
 *   GET /readyz, /healthz  200 or 503 with JSON: see readiness.ts
 *
 * HEAD is answered like GET without a body; other methods get 405, other paths 404.
 * prom-client is imported on the first start with metrics on, so an init that serves
 * only probes never loads it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RingmasterError } from '../errors/codes.js';
import type { InitSnapshot } from '../lifecycle/api.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/index.js';
import { readiness } from './readiness.js';

export { readiness, type ReadinessBody, type NotReady } from './readiness.js';

export interface HttpEndpointOptions {
  /** address to listen on (`0.0.0.0`, `::`, `127.0.0.1`...) */
  host: string;
  /** 0 picks a free port (see the returned `port`) */
  port: number;
  snapshot: () => InitSnapshot;
  log: Logger;
  /** serve /metrics. @default true */
  metrics?: boolean;
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
  const metrics: Metrics | undefined = o.metrics === false ? undefined : (await import('../metrics/index.js')).createMetrics(o.snapshot);

  const serveMetrics = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!metrics) return send(req, res, 404, TEXT, 'metrics are off\n');
    let text: string;
    try {
      text = await metrics.render();
    } catch (err) {
      o.log.error('metrics scrape failed', { error: (err as Error).message });
      return send(req, res, 500, TEXT, `scrape failed: ${(err as Error).message}\n`);
    }
    send(req, res, 200, metrics.contentType, text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0];
    const known = path === '/metrics' || path === '/livez' || path === '/readyz' || path === '/healthz';
    if (!known) return send(req, res, 404, TEXT, 'not found: try /metrics, /livez, /readyz\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, 405, TEXT, 'method not allowed\n', { allow: 'GET, HEAD' });
    switch (path) {
      case '/livez':
        return send(req, res, 200, TEXT, 'ok\n');
      case '/metrics':
        return serveMetrics(req, res);
      default: {
        const r = readiness(o.snapshot());
        return send(req, res, r.ok ? 200 : 503, JSON_TYPE, `${JSON.stringify(r.body)}\n`);
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.log.error('http request failed', { path: req.url, error: (err as Error).message });
      if (!res.headersSent) send(req, res, 500, TEXT, 'internal error\n');
      else res.destroy();
    });
  });
  // A probe or scraper that sends garbage or hangs up mid-request: drop it quietly.
  server.on('clientError', (_err, socket) => socket.destroy());
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

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
  server.on('error', (err) => o.log.error('http endpoint error', { error: err.message }));

  const port = (server.address() as AddressInfo).port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  o.log.info('http endpoint listening', { url, metrics: metrics !== undefined });

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
