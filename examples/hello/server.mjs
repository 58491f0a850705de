// The bundled example: a tiny HTTP server that serves on the socket ringmaster hands it
// (fd 3, named on the command line by $(circus.sockets.web)), or on PORT when run alone.
import { createServer } from 'node:http';

const fd = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
const wid = process.env.RINGMASTER_WID ?? '-';
const server = createServer((req, res) => {
  res.end(`hello from worker ${wid} (pid ${process.pid})\n`);
});
if (fd !== undefined) server.listen({ fd });
else server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');
server.on('listening', () => console.log(`worker ${wid}: accepting on ${fd !== undefined ? `inherited fd ${fd}` : 'its own port'}`));
// Graceful stop: finish what is in flight, then exit.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
