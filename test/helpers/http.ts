/** A small HTTP client for tests: one request per connection (Connection: close), loopback only. */
import { request } from 'node:http';

export interface Reply {
  status: number;
  body: string;
}

export function get(url: string, opts: { timeoutMs?: number; socketPath?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      {
        host: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        path: u.pathname + u.search,
        socketPath: opts.socketPath,
        agent: false,
        headers: { connection: 'close' },
        timeout: opts.timeoutMs ?? 5_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 5_000} ms: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** The port of socket `name` from ringmaster's "socket listening" log line. */
export function portFromLog(stderr: string, name: string): number | undefined {
  const m = new RegExp(`socket listening socket=${name} url=tcp://(?:\\[[^\\]]+\\]|[^:]+):(\\d+)`).exec(stderr);
  return m ? Number(m[1]) : undefined;
}

export interface HammerResult {
  ok: number;
  errors: string[];
}

/**
 * One client sending sequential requests to `url` until stopped (or `maxMs`), counting
 * answers and errors. Sequential, so at most one request is in flight at any time.
 */
export function hammer(url: string, maxMs = 20_000): { stop(): Promise<HammerResult> } {
  let stopped = false;
  const result: HammerResult = { ok: 0, errors: [] };
  const done = (async () => {
    const end = Date.now() + maxMs;
    while (!stopped && Date.now() < end) {
      try {
        const r = await get(url);
        if (r.status === 200) result.ok++;
        else result.errors.push(`status ${r.status}`);
      } catch (e) {
        result.errors.push((e as Error).message);
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return result;
    },
  };
}

/** The base URL of a test's ringmaster HTTP endpoint, from its "http endpoint listening" log line. */
export function httpUrl(rm: { stderr(): string }): string {
  const m = /http endpoint listening url=(http:\/\/\S+)/.exec(rm.stderr());
  if (!m) throw new Error(`no http endpoint in the log: ${rm.stderr()}`);
  return m[1] as string;
}
