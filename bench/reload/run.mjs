#!/usr/bin/env node
/**
 * /livez latency while a reload runs: how long a reload keeps the init's event loop from
 * answering.
 *
 *   node bench/reload/run.mjs [--watchers 2000] [--rounds 5] [--bomb 4]
 *
 * ringmaster runs (not as PID 1) on a YAML config with its HTTP endpoint on 127.0.0.1. A
 * client sends GET /livez one after the other over one keep-alive connection, without
 * pause, and records each latency. Each round, for each scenario, the next config is
 * written in place and the init gets SIGHUP; the samples from the signal until the log says
 * the reload ended (done, failed, or no change) are that reload's. Scenarios:
 *   idle     no reload: as long as the large reload took (the baseline)
 *   large    --watchers watchers of `sleep` with 0 processes, ~200 bytes each; the reload
 *            changes one watcher's env (the whole file is read, parsed, validated, planned)
 *   bomb     a YAML alias bomb of --bomb levels of 10 aliases each (hostile; how long it
 *            takes is the parser's business, bounded by its expansion limit if it has one)
 *   fifo     the config replaced by a FIFO (a read would block for good)
 * The new config is written through a hard link in another directory, so that the init's
 * directory watch sees no event and SIGHUP is the only trigger. Only the pid we started is
 * signalled; raw samples go to bench/out/reload-<time>.json.
 */
import { spawn, execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const argv = process.argv.slice(2);
const opt = (name, d) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const WATCHERS = opt('watchers', 2000);
const ROUNDS = opt('rounds', 5);
const BOMB = opt('bomb', 4);
const now = () => Number(process.hrtime.bigint()) / 1e6;

const head = 'ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\n  graceful_timeout: 5\n';
function large(version) {
  const lines = [head, 'watchers:\n'];
  for (let i = 0; i < WATCHERS; i++) {
    lines.push(`  w${i}:\n    cmd: sleep 600 --worker ${i}\n    numprocesses: 0\n    env: {ROLE: worker, INDEX: "${i}", VERSION: "${i === 0 ? version : 1}"}\n`);
  }
  return lines.join('');
}
function bomb() {
  const lines = [head, 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n'];
  for (let i = 1; i <= BOMB; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`);
  lines.push(`watchers:\n  w0:\n    cmd: sleep 600\n    env: {X: *a${BOMB}}\n`);
  return lines.join('');
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'rm-bench-reload-'));
const cfg = path.join(dir, 'watched', 'r.yaml');
const side = path.join(dir, 'side', 'r.yaml');
mkdirSync(path.dirname(cfg));
mkdirSync(path.dirname(side));
writeFileSync(cfg, large(1));
linkSync(cfg, side);

const rm = spawn(process.execPath, [path.join(ROOT, 'bin', 'ringmaster'), '-c', cfg], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RINGMASTER_CONTROL_SOCKET: path.join(dir, 'ctl.sock') } });
let log = '';
rm.stderr.setEncoding('utf8').on('data', (d) => (log += d));
const until = async (pred, ms = 120_000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out; log:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const livez = (port) =>
  new Promise((resolve, reject) => {
    const t0 = now();
    http.get({ host: '127.0.0.1', port, path: '/livez', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(now() - t0));
    }).on('error', reject);
  });

/** Poll /livez until `done()` holds; the latencies. */
async function poll(port, done) {
  const out = [];
  while (!done()) out.push(await livez(port));
  return out;
}

const ENDED = /reload done|reload failed|reload: no change/g;
const ends = () => (log.match(ENDED) ?? []).length;

async function reload(port, text) {
  const before = ends();
  if (text === 'fifo') {
    rmSync(cfg);
    execFileSync('mkfifo', [cfg]); // the watch reloads too: it fails as fast
  } else {
    writeFileSync(side, text);
  }
  const t0 = now();
  rm.kill('SIGHUP');
  const samples = await poll(port, () => ends() > before);
  return { ms: now() - t0, samples };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] ?? NaN };
};

const results = { idle: [], large: [], bomb: [], fifo: [], largeMs: [], bombMs: [] };
try {
  await until(() => /http endpoint listening url=http:\/\/127\.0\.0\.1:(\d+)/.test(log) && log.includes('all watchers started'));
  const port = Number(/http endpoint listening url=http:\/\/127\.0\.0\.1:(\d+)/.exec(log)[1]);
  for (let i = 0; i < 200; i++) await livez(port); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    const l = await reload(port, large(round + 2));
    results.large.push(...l.samples);
    results.largeMs.push(l.ms);
    const end = now() + l.ms;
    results.idle.push(...(await poll(port, () => now() > end)));
    const b = await reload(port, bomb());
    results.bomb.push(...b.samples);
    results.bombMs.push(b.ms);
    const f = await reload(port, 'fifo');
    results.fifo.push(...f.samples);
    // back to a regular file for the next round; the watch re-reads it (no change) meanwhile
    rmSync(cfg);
    rmSync(side);
    writeFileSync(cfg, large(round + 2));
    linkSync(cfg, side);
    await new Promise((r) => setTimeout(r, 1500));
  }
  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const line = (name, xs, ms) => {
    const s = stats(xs);
    return `${name.padEnd(6)} samples ${String(s.n).padStart(6)}  p50 ${fmt(s.p50).padStart(7)} ms  p99 ${fmt(s.p99).padStart(7)} ms  max ${fmt(s.max).padStart(8)} ms${ms ? `  reload ${fmt(Math.min(...ms))}-${fmt(Math.max(...ms))} ms` : ''}`;
  };
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${WATCHERS} watchers (${(large(2).length / 1024).toFixed(0)} KiB), bomb 10^${BOMB}, ${ROUNDS} rounds`);
  console.log(line('idle', results.idle));
  console.log(line('large', results.large, results.largeMs));
  console.log(line('bomb', results.bomb, results.bombMs));
  console.log(line('fifo', results.fifo));
  for (const m of new Set(log.match(/reload failed[^\n]*/g) ?? [])) console.log(`  ${m.slice(0, 160)}`);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, `reload-${Date.now()}.json`), JSON.stringify({ watchers: WATCHERS, bomb: BOMB, results }));
} finally {
  agent.destroy();
  rm.kill('SIGTERM');
  await new Promise((r) => rm.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
