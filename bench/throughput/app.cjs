'use strict';
// The app under test, identical in every mode: answers "ok" to any request
// ("/pid" answers its pid instead; the drivers use it to check that every worker is up).
// Where it listens comes from APP_LISTEN (pm2 passes no argv of ours) or argv[2]:
//   fd:N      an inherited listening fd (ringmaster, the Circus model)
//   port:P    127.0.0.1:P (Node cluster worker, pm2 cluster worker, plain node)
const http = require('node:http');

const spec = process.env.APP_LISTEN ?? process.argv[2] ?? '';
const [how, arg] = spec.split(':');
const BACKLOG = 2048;
const server = http.createServer((req, res) => {
  if (req.url === '/pid') {
    res.end(String(process.pid));
    return;
  }
  res.setHeader('content-type', 'text/plain');
  res.end('ok');
});
if (how === 'fd') server.listen({ fd: Number(arg), backlog: BACKLOG });
else if (how === 'port') server.listen({ port: Number(arg), host: '127.0.0.1', backlog: BACKLOG });
else {
  process.stderr.write(`app.cjs: APP_LISTEN or argv[2] must be fd:N or port:P, got "${spec}"\n`);
  process.exit(64);
}
function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
