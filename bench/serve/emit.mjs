// In-process check of the one per-request thing `ringmaster serve` adds: a prepended
// 'request' listener that reads a flag. Times server.emit('request') on an http.Server with
// the handler alone and with the extra listener, interleaved, on fake req/res objects (the
// handler is replaced by a no-op of the same shape so only the dispatch is timed).
//   node bench/serve/emit.mjs [--n 2000000] [--rounds 9]
import { createServer } from 'node:http';

const arg = (k, d) => {
  const i = process.argv.indexOf(k);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg('--n', 2_000_000);
const ROUNDS = arg('--rounds', 9);
let sink = 0;
const handler = (req, res) => {
  sink += req.n + (res.shouldKeepAlive ? 1 : 0);
};
const one = createServer(handler);
const two = createServer(handler);
let draining = false;
two.prependListener('request', (_req, res) => {
  if (draining) res.shouldKeepAlive = false;
});
process.once('SIGUSR2', () => (draining = true));
const req = { n: 1 };
const res = { shouldKeepAlive: true };
const time = (s) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) s.emit('request', req, res);
  return Number(process.hrtime.bigint() - t0) / N;
};
time(one);
time(two);
const a = [];
const b = [];
for (let r = 0; r < ROUNDS; r++) {
  if (r % 2) {
    b.push(time(two));
    a.push(time(one));
  } else {
    a.push(time(one));
    b.push(time(two));
  }
}
const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
console.log(JSON.stringify({ n: N, rounds: ROUNDS, nsPerEmitHandlerOnly: +med(a).toFixed(1), nsPerEmitWithPrepend: +med(b).toFixed(1), extraNs: +(med(b) - med(a)).toFixed(1), sink: sink > 0 }));
