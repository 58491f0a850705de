// A web worker on the socket ringmaster hands it (fd 3): it reads what the migration wrote.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { at } from './state.mjs';

const version = readFileSync(at('schema-version'), 'utf8').trim();
const server = createServer((req, res) => res.end(`${process.env.APP_GREETING}, schema ${version}, worker ${process.env.RINGMASTER_WID}\n`));
server.listen({ fd: Number(process.argv[2]) }, () => console.log(`web: accepting on inherited fd ${process.argv[2]}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
