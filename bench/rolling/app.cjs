'use strict';
// The app under test, the same request handler for every manager: "ok" to any request.
// ringmaster runs it with `ringmaster serve app.cjs` on the inherited socket;
// pm2 runs pm2-server.cjs, which listens on a port with this handler (pm2's own model).
module.exports = function handler(req, res) {
  res.setHeader('content-type', 'text/plain');
  res.end('ok\n');
};
