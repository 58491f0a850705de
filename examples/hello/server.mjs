// A tiny HTTP server, the bundled example that `npm start` runs under ringmaster.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const server = createServer((req, res) => {
  res.end(`hello from pid ${process.pid}\n`);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`hello: listening on http://127.0.0.1:${port} (Ctrl-C stops it)`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
