// An app that knows nothing of ringmaster: it listens on PORT (3000). Run under
// `node --import ringmaster/preload`, it serves on the socket ringmaster hands it instead.
import { createServer } from 'node:http';

createServer((req, res) => res.end(`hello from the preload, pid ${process.pid}, worker ${process.env.RINGMASTER_WID ?? '-'}\n`))
  .listen(3000, () => console.log('standalone app listening'));
