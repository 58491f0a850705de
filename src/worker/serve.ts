/**
 * `ringmaster serve [--fd N | --bind ADDR] [--grace SEC] MODULE[#export]`: serve a Node
 * module over HTTP on an inherited socket, as Chaussette did for WSGI.
 *
 * MODULE exports (default, or the named export after '#') one of:
 * - a request handler `(req, res) => ...` (an Express app is one);
 * - an `http.Server`;
 * - an app object: `.handler` or `.callback()` (Koa) giving a handler, or a Fastify-style
 *   instance with `.ready()` and `.server`.
 * Once listening it notifies READY=1. On SIGTERM/SIGINT it notifies STOPPING=1, stops
 * accepting, answers what comes on open connections with `Connection: close`, closes the
 * ones that stay idle, lets in-flight requests finish for up to --grace seconds (default
 * 10), then exits 0.
 */
import { createServer, Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inheritedBacklog, ready, socketFd, startWatchdog, stopping } from './index.js';
import { drainable } from './drain.js';
import { SERVE_EXIT } from './exit.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const SERVE_USAGE = `Usage: ringmaster serve [--fd N | --bind ADDR] [--grace SEC] MODULE[#export]
  --fd N        serve on inherited fd N (default: the first of LISTEN_FDS, else 3)
  --bind ADDR   fd://N, unix:/path, HOST:PORT or :PORT
  --grace SEC   how long in-flight requests may take after SIGTERM (default 10)
MODULE exports a request handler, an http.Server, or an app (Express, Koa, Fastify).
`;

export interface ServeArgs {
  target: { fd: number } | { path: string } | { host: string | undefined; port: number };
  module: string;
  exportName: string | undefined;
  graceMs: number;
}

export class ServeUsageError extends Error {}

export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeArgs {
  let target: ServeArgs['target'] | undefined;
  let graceMs = 10_000;
  let spec: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ServeUsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--fd') {
      const v = value();
      if (!/^\d+$/.test(v)) throw new ServeUsageError(`--fd takes a file descriptor number, got "${v}"`);
      target = { fd: Number(v) };
    } else if (a === '--bind') target = parseBind(value());
    else if (a === '--grace') {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new ServeUsageError(`--grace takes seconds >= 0, got "${v}"`);
      graceMs = n * 1000;
    } else if (a.startsWith('-')) throw new ServeUsageError(`unknown option ${a}`);
    else if (spec === undefined) spec = a;
    else throw new ServeUsageError(`unexpected argument "${a}"`);
  }
  if (spec === undefined) throw new ServeUsageError('no MODULE given');
  const hash = spec.lastIndexOf('#');
  return {
    target: target ?? { fd: socketFd(undefined, env) ?? 3 },
    module: hash > 0 ? spec.slice(0, hash) : spec,
    exportName: hash > 0 ? spec.slice(hash + 1) : undefined,
    graceMs,
  };
}

function parseBind(addr: string): ServeArgs['target'] {
  if (addr.startsWith('fd://')) {
    const n = addr.slice(5);
    if (!/^\d+$/.test(n)) throw new ServeUsageError(`--bind fd://N takes a number, got "${addr}"`);
    return { fd: Number(n) };
  }
  if (addr.startsWith('unix:')) return { path: addr.slice(5) };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new ServeUsageError(`--bind takes fd://N, unix:/path, HOST:PORT or :PORT, got "${addr}"`);
  return { host: m[1] ?? (m[2] || undefined), port: Number(m[3]) };
}

async function loadModule(spec: string, cwd: string): Promise<Record<string, unknown>> {
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
  const url = looksLikePath
    ? pathToFileURL(resolve(cwd, spec)).href
    : pathToFileURL(createRequire(`${cwd}/`).resolve(spec)).href;
  return (await import(url)) as Record<string, unknown>;
}

/** Turn what a module exports into an http.Server. */
export async function toServer(x: unknown): Promise<Server> {
  if (x instanceof Server) return x;
  if (typeof x === 'function') return createServer(x as Handler);
  if (x !== null && typeof x === 'object') {
    const o = x as { handler?: unknown; callback?: unknown; ready?: unknown; server?: unknown; default?: unknown };
    if (typeof o.ready === 'function' && o.server instanceof Server) {
      await (o.ready as () => Promise<unknown>).call(x);
      return o.server;
    }
    if (typeof o.handler === 'function') return createServer(o.handler as Handler);
    if (typeof o.callback === 'function') return createServer((o.callback as () => Handler).call(x));
    if (o.default !== undefined) return toServer(o.default);
  }
  throw new ServeUsageError('the module exports no request handler, http.Server or app (export one as default, or name it with MODULE#name)');
}

export async function serve(argv: readonly string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(SERVE_USAGE);
    return SERVE_EXIT.OK;
  }
  const args = parseServeArgs(argv);
  const mod = await loadModule(args.module, process.cwd());
  const exported = args.exportName === undefined ? (mod.default ?? mod) : mod[args.exportName];
  if (exported === undefined) throw new ServeUsageError(`${args.module} has no export named "${args.exportName}"`);
  const server = await toServer(exported);
  // Before any request: a stop tells the responses in progress to close their connection.
  const drain = drainable(server, args.graceMs);
  // the inherited socket's backlog, passed on: Node's listen({fd}) would reset it to 511
  const backlog = 'fd' in args.target ? await inheritedBacklog(args.target.fd) : undefined;
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    const t = args.target;
    // listen({fd}) takes the backlog as its second argument only
    if ('fd' in t) server.listen({ fd: t.fd }, backlog ?? 511, res);
    else if ('path' in t) server.listen(t.path, res);
    else server.listen(t.port, t.host, res);
  });
  const where = 'fd' in args.target ? `fd ${args.target.fd}` : 'path' in args.target ? args.target.path : `port ${args.target.port}`;
  await ready(`serving ${args.module} on ${where}`);
  startWatchdog();
  return new Promise((res) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void stopping();
      void drain.drain().then(() => res(SERVE_EXIT.OK));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    // Exit once stopped, even if the app left timers or handles behind.
    process.exit(await serve(argv));
  } catch (err) {
    if (err instanceof ServeUsageError) {
      process.stderr.write(`ringmaster serve: ${err.message}\n${SERVE_USAGE}`);
      process.exitCode = SERVE_EXIT.USAGE;
      return;
    }
    process.stderr.write(`ringmaster serve: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = SERVE_EXIT.FAILED;
  }
}
