/**
 * The endpoints a config's init runs beside its watchers, wired in here so that the
 * lifecycle imports neither: the HTTP endpoint (/livez, /readyz, /metrics; when http_port
 * is set) and the control socket (`ringmaster ctl`).
 *
 * Their modules are imported in the step before the privilege drop (an install directory
 * that the user dropped to cannot read must not matter after it), and only then: after
 * the sockets are bound, so that connections queue on them while these modules load.
 */
import type { Config } from '../config/types.js';
import type { InitEndpoint } from '../lifecycle/api.js';
import type { Logger } from '../log/logger.js';

export interface EndpointOptions {
  env: NodeJS.ProcessEnv;
  /** the invocation's directory: what a relative control_socket is taken from */
  cwd: string;
  log: Logger;
}

/** The endpoints for `config`, in the order they start (see InitEndpoint). */
export function configEndpoints(config: Config, o: EndpointOptions): InitEndpoint[] {
  const g = config.ringmaster;
  const { log } = o;
  const endpoints: InitEndpoint[] = [];
  const port = g.http_port;
  if (port !== undefined) {
    endpoints.push({
      name: 'http',
      // Before the privilege drop, like the sockets: the port may be below 1024.
      async beforeDrop({ snapshot }) {
        const http = await import('../http/server.js');
        try {
          return await http.startHttpEndpoint({ host: g.http_host, port, snapshot, log });
        } catch (err) {
          // An optional endpoint: the workers are what PID 1 is for (a liveness probe on the port says the rest).
          log.warn(`http endpoint not available, running without /livez, /readyz and /metrics: ${(err as Error).message}`, { host: g.http_host, port });
          return undefined;
        }
      },
    });
  }
  // The control socket's default directory is made for the user dropped to, before the drop;
  // the socket is bound after it, so that its file belongs to the user who will run ctl.
  // Neither step throws (control/endpoint.ts says why when it cannot be had).
  let control: ReturnType<typeof import('../control/endpoint.js').prepareControl> | undefined;
  endpoints.push({
    name: 'control',
    async beforeDrop() {
      const { prepareControl } = await import('../control/endpoint.js');
      control = prepareControl({ env: o.env, configured: g.control_socket, user: g.user, group: g.group, cwd: o.cwd, log });
      return undefined;
    },
    afterDrop: ({ controller }) => control?.start(controller),
  });
  return endpoints;
}
