/**
 * `ringmaster probe [--ready] [--url URL] [--timeout SEC] [-c CONFIG]`: a health check
 * for images without curl (Docker HEALTHCHECK, a Helm test pod). GETs /livez (or /readyz
 * with --ready) of the HTTP endpoint the config declares, and exits 0 on 2xx/3xx.
 */
import { request } from 'node:http';
import { EXIT, RingmasterError } from '../errors/codes.js';

export const PROBE_USAGE = `Usage: ringmaster probe [--ready] [--url URL] [--timeout SEC] [-c CONFIG]
  Exit 0 when ringmaster's /livez (/readyz with --ready) answers 2xx or 3xx, 1 otherwise.
  The URL defaults to RINGMASTER_PROBE_URL, else http_host:http_port of the config; a URL
  without a path gets /livez (/readyz with --ready).
`;

function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || 80, path: u.pathname + u.search, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d.length + body.length < 4096 ? d : ''));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function defaultUrl(configPath: string | undefined, ready: boolean): Promise<string> {
  const path = ready ? '/readyz' : '/livez';
  const fromEnv = process.env.RINGMASTER_PROBE_URL;
  if (fromEnv) return new URL(path, fromEnv).href;
  const { loadConfig } = await import('../config/index.js');
  const config = loadConfig({ path: configPath, env: process.env, cwd: process.cwd() });
  const g = config?.ringmaster;
  if (!g || g.http_port === undefined) {
    throw new RingmasterError('RM_USAGE', 'no http_port in the configuration: give --url, or set http_port under ringmaster:');
  }
  const host = g.http_host === '0.0.0.0' || g.http_host === '' ? '127.0.0.1' : g.http_host === '::' ? '[::1]' : g.http_host.includes(':') ? `[${g.http_host}]` : g.http_host;
  return `http://${host}:${g.http_port}${path}`;
}

export async function probe(argv: string[]): Promise<number> {
  let url: string | undefined;
  let ready = false;
  let timeoutMs = 3000;
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new RingmasterError('RM_USAGE', `${a} needs a value\n${PROBE_USAGE}`);
      return v;
    };
    if (a === '-h' || a === '--help') {
      process.stdout.write(PROBE_USAGE);
      return EXIT.OK;
    } else if (a === '--ready') ready = true;
    else if (a === '--url') url = value();
    else if (a === '-c' || a === '--config') configPath = value();
    else if (a === '--timeout') {
      const v = value();
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new RingmasterError('RM_USAGE', `--timeout takes seconds > 0, got "${v}"`);
      timeoutMs = n * 1000;
    } else throw new RingmasterError('RM_USAGE', `unknown argument "${a}"\n${PROBE_USAGE}`);
  }
  // --url may name the endpoint only (http://host:port): the path follows from --ready.
  const target = url === undefined ? await defaultUrl(configPath, ready) : new URL(url).pathname === '/' ? new URL(ready ? '/readyz' : '/livez', url).href : url;
  try {
    const r = await get(target, timeoutMs);
    if (r.status >= 200 && r.status < 400) return EXIT.OK;
    process.stderr.write(`ringmaster probe: ${target} answered ${r.status}: ${r.body.trim().slice(0, 500)}\n`);
    return EXIT.FAILED;
  } catch (err) {
    process.stderr.write(`ringmaster probe: ${target}: ${(err as Error).message}\n`);
    return EXIT.FAILED;
  }
}
