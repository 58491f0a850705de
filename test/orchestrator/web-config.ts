/** The config the reload tests start from: an HTTP socket `web` served by a watcher `web` (worker-http.mjs). */
import { FIXTURES } from '../helpers/run.js';

export interface WebConfig {
  webN?: number;
  /** the workers' VERSION: changing it restarts them */
  webEnv?: string;
  port?: number;
  /** ringmaster's HTTP endpoint on 127.0.0.1, a free port */
  http?: boolean;
  /** YAML appended under watchers: */
  extra?: string;
}

export function webYaml(opts: WebConfig = {}): string {
  return `${opts.http ? 'ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\n' : ''}sockets:
  web:
    host: 127.0.0.1
    port: ${opts.port ?? 0}
watchers:
  web:
    cmd: node ${FIXTURES}worker-http.mjs $(circus.sockets.web)
    use_sockets: true
    numprocesses: ${opts.webN ?? 2}
    ready: {http: "http://127.0.0.1:$(circus.sockets.web.port)/", timeout: 10}
    env:
      VERSION: "${opts.webEnv ?? '1'}"
${opts.extra ?? ''}`;
}
