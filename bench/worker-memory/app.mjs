// An app run through the preload, as an unmodified one is: it listens on a port (the preload
// turns that into the inherited fd 3) and answers every request with 200 "ok".
import { createServer } from 'node:http';
import handler from '../serve/handler.mjs';

createServer(handler).listen(Number(process.env.PORT ?? 3000));
