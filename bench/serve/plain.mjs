// The baseline: what `ringmaster serve handler.mjs` replaces, on the same inherited fd 3.
// PLAIN_PREPEND=1 adds the one per-request thing serve.ts adds on the hot path (a
// prepended 'request' listener that reads a flag), to isolate its cost.
import { createServer } from 'node:http';
import handler from './handler.mjs';

const server = createServer(handler);
if (process.env.PLAIN_PREPEND === '1') {
  let draining = false;
  process.once('SIGUSR2', () => (draining = true));
  server.prependListener('request', (_req, res) => {
    if (draining) res.shouldKeepAlive = false;
  });
}
server.listen({ fd: 3 });
