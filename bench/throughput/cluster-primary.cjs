'use strict';
// A plain Node `cluster` primary running app.cjs in N workers on 127.0.0.1:PORT.
//   node cluster-primary.cjs rr|none N PORT [--refork] [--log]
// rr = cluster.SCHED_RR (the primary accepts and hands each connection to a worker over IPC,
// what pm2 cluster mode uses); none = cluster.SCHED_NONE (the primary binds, each worker
// accepts on the shared handle itself). --refork: fork a replacement when a worker exits.
// SIGTERM/SIGINT: stop the workers, exit 0 when they are gone.
const cluster = require('node:cluster');
const path = require('node:path');

const [policy, n, port, ...flags] = process.argv.slice(2);
if (policy !== 'rr' && policy !== 'none') throw new Error('policy must be rr or none');
cluster.schedulingPolicy = policy === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
cluster.setupPrimary({ exec: path.join(__dirname, 'app.cjs'), args: [`port:${port}`] });
let stopping = false;
const refork = flags.includes('--refork');
// --log: one line per fork on stdout, so a driver can time the primary's reaction.
if (flags.includes('--log')) cluster.on('fork', (w) => process.stdout.write(`worker forked pid=${w.process.pid}\n`));
for (let i = 0; i < Number(n); i++) cluster.fork();
cluster.on('exit', () => {
  if (stopping) {
    if (Object.keys(cluster.workers).length === 0) process.exit(0);
  } else if (refork) cluster.fork();
});
function stop() {
  if (stopping) return;
  stopping = true;
  const ws = Object.values(cluster.workers);
  if (ws.length === 0) process.exit(0);
  for (const w of ws) w.process.kill('SIGTERM');
  setTimeout(() => {
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
    process.exit(0);
  }, 3000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
