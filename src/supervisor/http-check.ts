/**
 * HTTP readiness: GET a URL until it answers 2xx or 3xx (what a Kubernetes httpGet probe
 * accepts), or the deadline passes. `$(circus.sockets.NAME.port)` in the URL becomes the
 * bound port of socket NAME (useful with port 0). node:http (~10-50 ms to load) is imported
 * at the first check: a config without `ready: http` never loads it.
 */

export function expandPorts(url: string, portOf: (socket: string) => number | undefined): string {
  return url.replace(/\$\((?:circus|ringmaster)\.sockets\.([\w-]+)\.port\)/gi, (whole, name: string) => {
    const p = portOf(name.toLowerCase());
    return p === undefined ? whole : String(p);
  });
}

/** One GET; resolves true on 200-399, false otherwise (errors included). Never rejects. */
export async function httpOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { request } = await import('node:http');
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const req = request(
      { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || 80, path: u.pathname + u.search, agent: false, timeout: timeoutMs, headers: { connection: 'close' } },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Poll `url` every `intervalMs` until it is OK (true) or `deadline` (false), or `cancelled()` (false). */
export async function waitHttpOk(url: string, deadline: number, cancelled: () => boolean, intervalMs = 100): Promise<boolean> {
  while (!cancelled() && Date.now() < deadline) {
    if (await httpOk(url, Math.max(100, Math.min(1_000, deadline - Date.now())))) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
