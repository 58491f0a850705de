'use strict';
// pm2 cluster-mode entry: server.listen(PORT) with the handler of app.cjs.
// GRACEFUL=1 adds what pm2's "Graceful Start/Shutdown" page suggests
// (https://pm2.keymetrics.io/docs/usage/signals-clean-restart/): process.send('ready')
// once listening (with wait_ready: true) and, on SIGINT, server.close() then exit.
const http = require('node:http');
const handler = require('./app.cjs');

const port = Number(process.env.PORT);
const server = http.createServer(handler);
server.listen(port, '127.0.0.1', () => {
  if (process.env.GRACEFUL === '1' && process.send) process.send('ready');
});
if (process.env.GRACEFUL === '1') {
  process.on('SIGINT', () => {
    server.close(() => process.exit(0));
  });
}
