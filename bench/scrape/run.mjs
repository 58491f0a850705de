#!/usr/bin/env node
/**
 * CPU cost of one /metrics scrape of a real ringmaster with 64 workers.
 *
 *   node bench/scrape/run.mjs [--watchers 2] [--per-watcher 32] [--scrapes 500]
 *        [--rounds 5] [--warmup 50] [--tcp-rows N] [--max-minutes 10]
 *
 * ringmaster runs (not as PID 1) with one TCP socket on 127.0.0.1 and W watchers of N
 * `sleep 600` workers each. In every round, three blocks run one after the other, their
 * order rotating from round to round:
 *   metrics  S sequential GET /metrics over one keep-alive connection (as Prometheus does)
 *   livez    S sequential GET /livez, the same way: the HTTP cost alone
 *   idle     no request for as long as the metrics block took: the init's background CPU
 * For each block, the init's CPU = delta of utime+stime in /proc/PID/stat (clock ticks,
 * 1/CLK_TCK s), divided by S; wall time per request is measured by the client.
 * "metrics part" = metrics - livez per scrape. --tcp-rows N adds a second kind of round,
 * alternating with the plain one: N/2 loopback connections to a throwaway server are held
 * open during it (N rows in /proc/net/tcp, as on a busy server; a scrape reads that table
 * for the accept-queue depth) and closed after it. Only pids we started are signalled;
 * raw results go to bench/out/scrape-<time>.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const RINGMASTER = path.join(ROOT, 'bin', 'ringmaster');
const NODE = process.execPath;

const argv = process.argv.slice(2);
const opt = (name, d) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : d;
};
const WATCHERS = Number(opt('watchers', 2));
const PER = Number(opt('per-watcher', 32));
const SCRAPES = Number(opt('scrapes', 500));
const ROUNDS = Number(opt('rounds', 5));
const WARMUP = Number(opt('warmup', 50));
const MAX_MS = Number(opt('max-minutes', 10)) * 60_000;
const TCP_ROWS = Number(opt('tcp-rows', 0));
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));
const t0 = Date.now();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function stat(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], ticks: Number(f[11]) + Number(f[12]) };
}
function alive(pid) {
  try {
    return stat(pid).state !== 'Z';
  } catch {
    return false;
  }
}
function children(pid) {
  const out = new Set();
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.add(Number(c));
      } catch {}
    }
  } catch {}
  return [...out].filter(alive);
}
const lines = (f) => {
  try {
    return readFileSync(f, 'utf8').split('\n').length - 2;
  } catch {
    return 0;
  }
};
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = (v.length - 1) / 2;
  return (v[Math.floor(m)] + v[Math.ceil(m)]) / 2;
};
const quantile = (xs, q) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.round((v.length - 1) * q))];
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(port, p) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${p}`)));
    req.on('error', reject);
  });
}

/** n/2 loopback connections held open (n rows in /proc/net/tcp); returns a closer. */
async function holdConnections(n) {
  const peers = [];
  const srv = net.createServer((sock) => {
    peers.push(sock);
    sock.on('error', () => {});
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', 4096, r));
  const { port } = srv.address();
  const clients = [];
  for (let done = 0; done < n / 2; ) {
    const batch = Math.min(200, n / 2 - done);
    await Promise.all(
      Array.from({ length: batch }, () =>
        new Promise((r) => {
          const c = net.connect(port, '127.0.0.1', r);
          c.on('error', r);
          clients.push(c);
        }),
      ),
    );
    done += batch;
  }
  return async () => {
    for (const c of clients) c.resetAndDestroy(); // RST: no TIME_WAIT rows left behind
    for (const p of peers) p.destroy();
    await new Promise((r) => srv.close(r));
  };
}

async function block(pid, port, kind, n, idleMs) {
  const rows = lines('/proc/net/tcp') + lines('/proc/net/tcp6');
  const c0 = stat(pid).ticks;
  const w0 = now();
  const lat = [];
  let bytes = 0;
  if (kind === 'idle') await sleep(idleMs);
  else {
    for (let i = 0; i < n; i++) {
      const t = now();
      const r = await get(port, kind === 'metrics' ? '/metrics' : '/livez');
      lat.push(now() - t);
      if (r.status !== 200) throw new Error(`${kind}: HTTP ${r.status}`);
      bytes = r.body.length;
    }
  }
  const wall = now() - w0;
  const ticks = stat(pid).ticks - c0;
  return {
    kind,
    n,
    wall_ms: wall,
    ticks,
    cpu_ms_per_req: kind === 'idle' ? undefined : (ticks * 1000) / CLK_TCK / n,
    cpu_ms_per_s: (ticks * 1000) / CLK_TCK / (wall / 1000),
    wall_ms_median: lat.length ? median(lat) : undefined,
    wall_ms_p90: lat.length ? quantile(lat, 0.9) : undefined,
    bytes,
    tcp_rows: rows,
  };
}

async function main() {
  mkdirSync(OUT_DIR, { recursive: true });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rm-bench-scrape-'));
  const httpPort = await freePort();
  const sockPort = await freePort();
  const cfg = path.join(dir, 'ringmaster.yaml');
  let yaml = `ringmaster:
  http_host: 127.0.0.1
  http_port: ${httpPort}
sockets:
  web: {host: 127.0.0.1, port: ${sockPort}}
watchers:
`;
  for (let w = 0; w < WATCHERS; w++) yaml += `  sleepers${w}:\n    cmd: sleep 600\n    numprocesses: ${PER}\n`;
  writeFileSync(cfg, yaml);
  const meta = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release() },
    node: process.version,
    ringmaster: spawnSync(NODE, [RINGMASTER, '--version'], { encoding: 'utf8' }).stdout.trim(),
    git: spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim(),
    options: { WATCHERS, PER, SCRAPES, ROUNDS, WARMUP, CLK_TCK },
    loadavg_start: loadavg(),
    proc_net_tcp_rows_start: lines('/proc/net/tcp') + lines('/proc/net/tcp6'),
  };
  console.error(`scrape: ${JSON.stringify(meta)}`);
  const child = spawn(NODE, [RINGMASTER, '-c', cfg], {
    env: { ...process.env, RINGMASTER_CONTROL_SOCKET: path.join(dir, 'ctl.sock') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d).slice(-100_000)));
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  const pid = child.pid;
  const blocks = [];
  const file = path.join(OUT_DIR, `scrape-${meta.date.replace(/[:.]/g, '-')}.json`);
  let sample;
  let workers = [];
  try {
    const end = now() + 60_000;
    for (;;) {
      if (now() > end) throw new Error(`ringmaster did not start 64 workers in 60 s:\n${log.slice(-3000)}`);
      workers = children(pid);
      if (workers.length === WATCHERS * PER) {
        try {
          if ((await get(httpPort, '/readyz')).status === 200) break;
        } catch {}
      }
      await sleep(100);
    }
    await sleep(1000);
    for (let i = 0; i < WARMUP; i++) await get(httpPort, '/metrics');
    for (let i = 0; i < WARMUP; i++) await get(httpPort, '/livez');
    sample = (await get(httpPort, '/metrics')).body;
    const procs = [...sample.matchAll(/^ringmaster_watcher_processes\{[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    meta.metrics_bytes = sample.length;
    meta.metrics_series = sample.split('\n').filter((l) => l && !l.startsWith('#')).length;
    meta.watcher_processes_reported = procs;
    meta.workers_seen = workers.length;
    const kinds = ['metrics', 'livez', 'idle'];
    const variants = TCP_ROWS > 0 ? ['plain', 'rows'] : ['plain'];
    for (let r = 0; r < ROUNDS * variants.length && Date.now() - t0 < MAX_MS; r++) {
      const variant = variants[r % variants.length];
      const release = variant === 'rows' ? await holdConnections(TCP_ROWS) : undefined;
      let metricsWall = undefined;
      const order = kinds.map((_, i) => kinds[(i + r) % kinds.length]);
      // idle needs the metrics block's length: run it after metrics, or use the last one
      const round = {};
      for (const k of order) {
        const idleMs = metricsWall ?? blocks.filter((b) => b.kind === 'metrics').at(-1)?.wall_ms ?? 1500;
        const b = await block(pid, httpPort, k, SCRAPES, idleMs);
        b.round = r;
        b.variant = variant;
        if (k === 'metrics') metricsWall = b.wall_ms;
        round[k] = b;
        blocks.push(b);
      }
      await release?.();
      console.error(
        `round ${r} ${variant}: metrics ${round.metrics.cpu_ms_per_req.toFixed(3)} ms CPU/scrape, wall median ${round.metrics.wall_ms_median.toFixed(3)} ms; livez ${round.livez.cpu_ms_per_req.toFixed(3)} ms CPU/req, wall ${round.livez.wall_ms_median.toFixed(3)} ms; idle ${round.idle.cpu_ms_per_s.toFixed(2)} ms CPU/s; tcp rows ${round.metrics.tcp_rows}; load ${loadavg()[0]}`,
      );
    }
  } finally {
    const pids = [pid, ...children(pid)];
    agent.destroy();
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    const res = await Promise.race([exited, sleep(30_000).then(() => undefined)]);
    for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
    meta.exit = res;
    await sleep(300);
    meta.leftovers = pids.filter(alive);
    rmSync(dir, { recursive: true, force: true });
  }
  meta.loadavg_end = loadavg();
  meta.proc_net_tcp_rows_end = lines('/proc/net/tcp') + lines('/proc/net/tcp6');
  const by = (k) => blocks.filter((b) => b.kind === k);
  const perRoundAll = [...new Set(blocks.map((b) => b.round))].map((r) => {
    const get1 = (k) => blocks.find((b) => b.round === r && b.kind === k);
    const m = get1('metrics');
    const l = get1('livez');
    const i = get1('idle');
    // the idle rate, charged to a request for as long as one took
    const idlePerMetrics = (i.cpu_ms_per_s * m.wall_ms) / 1000 / m.n;
    return {
      round: r,
      variant: m.variant,
      metrics_cpu_ms: m.cpu_ms_per_req,
      livez_cpu_ms: l.cpu_ms_per_req,
      metrics_minus_livez_cpu_ms: m.cpu_ms_per_req - l.cpu_ms_per_req,
      metrics_minus_idle_cpu_ms: m.cpu_ms_per_req - idlePerMetrics,
      idle_cpu_ms_per_s: i.cpu_ms_per_s,
      metrics_wall_ms_median: m.wall_ms_median,
      livez_wall_ms_median: l.wall_ms_median,
      tcp_rows: m.tcp_rows,
    };
  });
  const summarize = (rounds) => {
    const summary = {};
    for (const k of Object.keys(rounds[0] ?? {}).filter((k) => k !== 'round' && k !== 'variant')) {
      const xs = rounds.map((p) => p[k]);
      summary[k] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
    }
    return summary;
  };
  const summaries = {};
  for (const v of new Set(perRoundAll.map((p) => p.variant))) summaries[v] = summarize(perRoundAll.filter((p) => p.variant === v));
  writeFileSync(file, JSON.stringify({ meta, summaries, perRound: perRoundAll, blocks, metrics_sample: sample }, null, 1));
  const f = (x, d = 3) => x.toFixed(d);
  const vs = Object.keys(summaries);
  const cell = (v, k) => `${f(summaries[v][k].median)} (${f(summaries[v][k].min)}-${f(summaries[v][k].max)})`;
  const row = (name, k) => `| ${name} | ${vs.map((v) => cell(v, k)).join(' | ')} |`;
  const vname = (v) => (v === 'plain' ? 'no other connections' : `${TCP_ROWS / 2} loopback connections held open`);
  console.log(`\n${WATCHERS * PER} workers (${WATCHERS} watchers x ${PER} \`sleep 600\`) + 1 TCP socket, ${SCRAPES} requests per block, ${perRoundAll.length} rounds${vs.length > 1 ? ' alternating' : ''}; CLK_TCK ${CLK_TCK}; median (min-max) over rounds\n`);
  console.log(`| per request | ${vs.map(vname).join(' | ')} |`);
  console.log(`|---|${vs.map(() => '---:').join('|')}|`);
  console.log(row('init CPU, /metrics (ms)', 'metrics_cpu_ms'));
  console.log(row('init CPU, /livez (ms)', 'livez_cpu_ms'));
  console.log(row('init CPU, /metrics - /livez (ms)', 'metrics_minus_livez_cpu_ms'));
  console.log(row('wall, /metrics, median of requests (ms)', 'metrics_wall_ms_median'));
  console.log(row('wall, /livez, median of requests (ms)', 'livez_wall_ms_median'));
  console.log(row('init CPU when idle (ms per s)', 'idle_cpu_ms_per_s'));
  console.log(`| rows in /proc/net/tcp{,6} | ${vs.map((v) => `${summaries[v].tcp_rows.median} (${summaries[v].tcp_rows.min}-${summaries[v].tcp_rows.max})`).join(' | ')} |`);
  console.log(`\n/metrics: ${meta.metrics_bytes} bytes, ${meta.metrics_series} samples, ringmaster_watcher_processes total ${meta.watcher_processes_reported}; workers seen ${meta.workers_seen}`);
  console.log(`load average at start ${meta.loadavg_start.join(' ')}, at end ${meta.loadavg_end.join(' ')}`);
  console.log(`ringmaster exit: ${JSON.stringify(meta.exit)}; leftover pids: ${meta.leftovers.length ? meta.leftovers.join(' ') : 'none'}`);
  console.log(`raw: ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
