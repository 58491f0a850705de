#!/usr/bin/env node
/**
 * What a Node worker costs, by how it talks to ringmaster: per-worker RSS and PSS, and the
 * time from spawn to READY=1 / first answer, side by side in one run.
 *
 * The driver is the init here, as in bench/serve: it binds a TCP socket per worker with
 * ringmaster's bindAndListen (backlog 2048) and passes it as fd 3, makes each worker a
 * ringmaster NotifyChannel (the datagram socket and the stream beside it) and gives it the
 * environment ringmaster gives (LISTEN_FDS, LISTEN_FDNAMES, NOTIFY_SOCKET, and for "after"
 * RINGMASTER_NOTIFY_STREAM and RINGMASTER_BACKLOGS). "before" is the same build without
 * those two: the worker then sends its datagrams and reads the backlog through koffi,
 * which is the code every worker ran before the stream channel (the fallback kept for
 * NOTIFY_SOCKET set by systemd or another supervisor).
 *
 * Variants (each --workers times per round):
 *   plain           createServer(handler).listen({fd: 3}): no ringmaster module at all
 *   preload-before  node --import <preload> app.mjs (app.listen(3000)), koffi path
 *   preload-after   the same, stream channel + RINGMASTER_BACKLOGS
 *   serve-before    ringmaster serve handler.mjs, koffi path
 *   serve-after     the same, stream channel
 *   lib-before      ringmaster/worker alone (fixtures/notify-worker.mjs, no HTTP), koffi path
 *   lib-after       the same, stream channel
 *
 * Each round starts the variants one after the other in an order that rotates by round
 * (so start-up times do not compete), waits for READY=1 (plain: for its first 200), lets
 * all of them idle for --settle-ms, then reads /proc/PID/smaps_rollup (Rss, Pss, Pss_Anon,
 * Pss_File), /proc/PID/status (RssAnon, RssFile) and /proc/PID/maps (is koffi's .node
 * mapped?) of every worker, then ends them (SIGTERM, SIGKILL after 5 s), by pid. All the
 * variants run at the same time while measured, so every worker's PSS shares the same
 * company.
 *
 *   node bench/worker-memory/run.mjs [--rounds 5] [--workers 4] [--settle-ms 2000] [--variants a,b] [--base DIR]
 *
 * --base DIR adds preload-base, serve-base and lib-base: the same three from a built
 * checkout of the code before (`git worktree add DIR REF && cd DIR && npm ci && npm run build`).
 *
 * Prints a Markdown table (medians over every worker of every round) and writes the
 * samples to bench/out/worker-memory-<time>.json. Needs `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, summary } from '../pid1/stats.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist', 'src');
const { bindAndListen, closeSockets, localPort } = await import(join(DIST, 'sys', 'socket.js'));
const { NotifyChannel } = await import(join(DIST, 'supervisor', 'notify.js'));
const PRELOAD = new URL(`file://${join(DIST, 'worker', 'preload.js')}`).href;
const BIN = join(ROOT, 'bin', 'ringmaster');
const NODE = process.execPath;

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const ROUNDS = Number(opt('rounds', 5));
const WORKERS = Number(opt('workers', 4));
const SETTLE = Number(opt('settle-ms', 2000));

const here = (f) => join(ROOT, 'bench', 'worker-memory', f);
const VARIANTS = [
  { name: 'plain', argv: [NODE, join(ROOT, 'bench', 'serve', 'plain.mjs')], notify: false },
  { name: 'preload-before', argv: [NODE, '--import', PRELOAD, here('app.mjs')], notify: true, stream: false },
  { name: 'preload-after', argv: [NODE, '--import', PRELOAD, here('app.mjs')], notify: true, stream: true },
  { name: 'serve-before', argv: [NODE, BIN, 'serve', join(ROOT, 'bench', 'serve', 'handler.mjs')], notify: true, stream: false },
  { name: 'serve-after', argv: [NODE, BIN, 'serve', join(ROOT, 'bench', 'serve', 'handler.mjs')], notify: true, stream: true },
  { name: 'lib-before', argv: [NODE, join(ROOT, 'fixtures', 'notify-worker.mjs')], notify: true, stream: false, http: false },
  { name: 'lib-after', argv: [NODE, join(ROOT, 'fixtures', 'notify-worker.mjs')], notify: true, stream: true, http: false },
];
// --base DIR: a built checkout of the code before (git worktree add DIR REF; npm ci; npm run
// build there): its preload, serve and library, given the same environment as "after"
// (it ignores what it does not know), side by side with this tree's.
const BASE = opt('base', undefined);
if (BASE) {
  const b = (...p) => join(BASE, ...p);
  const basePreload = new URL(`file://${b('dist', 'src', 'worker', 'preload.js')}`).href;
  VARIANTS.push(
    { name: 'preload-base', argv: [NODE, '--import', basePreload, here('app.mjs')], notify: true, stream: true },
    { name: 'serve-base', argv: [NODE, b('bin', 'ringmaster'), 'serve', join(ROOT, 'bench', 'serve', 'handler.mjs')], notify: true, stream: true },
    { name: 'lib-base', argv: [NODE, b('fixtures', 'notify-worker.mjs')], notify: true, stream: true, http: false },
  );
}
const only = opt('variants', undefined)?.split(',');
const chosen = only ? VARIANTS.filter((v) => only.includes(v.name)) : VARIANTS;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kib = (s) => Number.parseInt(s ?? '0', 10);

function fields(path) {
  const m = {};
  for (const l of readFileSync(path, 'latin1').split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) m[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return m;
}

function status200(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 500 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Start one worker of variant `v`; resolves once it is ready, with its start-up times. */
async function startWorker(v, wid) {
  const fd = bindAndListen({ family: 'inet', address: '127.0.0.1', port: 0 }, { backlog: 2048 });
  const port = localPort(fd);
  const ch = v.notify ? NotifyChannel.create(`bench.${v.name}.${wid}`) : undefined;
  const env = { ...process.env, LISTEN_FDS: '1', LISTEN_FDNAMES: 'web', RINGMASTER_WID: String(wid), PORT: '3000', NOTIFY_DELAY_MS: '0' };
  for (const k of ['NOTIFY_SOCKET', 'RINGMASTER_NOTIFY_STREAM', 'RINGMASTER_BACKLOGS', 'LISTEN_PID']) delete env[k];
  if (ch) env.NOTIFY_SOCKET = ch.path;
  if (ch && v.stream) {
    env.RINGMASTER_NOTIFY_STREAM = ch.streamPath;
    env.RINGMASTER_BACKLOGS = '2048';
  }
  const t0 = process.hrtime.bigint();
  const child = spawn(v.argv[0], v.argv.slice(1), { env, stdio: ['ignore', 'ignore', 'inherit', fd] });
  closeSockets([fd]);
  if (ch) ch.attach(child.pid);
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  let readyMs;
  let answerMs;
  const deadline = Date.now() + 30_000;
  while ((v.notify && readyMs === undefined) || (v.http !== false && answerMs === undefined)) {
    if (Date.now() > deadline) throw new Error(`${v.name} ${wid}: not ready in 30 s`);
    if (ch && readyMs === undefined && ch.drain(child.pid, Date.now()).messages.some((m) => m.ready)) readyMs = ms();
    if (v.http !== false && answerMs === undefined && (await status200(port))) answerMs = ms();
    await sleep(2);
  }
  return { child, ch, port, readyMs, answerMs };
}

function sample(w) {
  const pid = w.child.pid;
  const r = fields(`/proc/${pid}/smaps_rollup`);
  const s = fields(`/proc/${pid}/status`);
  const maps = readFileSync(`/proc/${pid}/maps`, 'latin1');
  return {
    rss: kib(r.Rss) / 1024,
    pss: kib(r.Pss) / 1024,
    pssAnon: kib(r.Pss_Anon) / 1024,
    pssFile: kib(r.Pss_File) / 1024,
    rssAnon: kib(s.RssAnon) / 1024,
    rssFile: kib(s.RssFile) / 1024,
    koffi: /koffi/.test(maps),
    readyMs: w.readyMs,
    answerMs: w.answerMs,
  };
}

async function stop(w) {
  const exited = new Promise((r) => (w.child.exitCode !== null || w.child.signalCode !== null ? r() : w.child.once('exit', r)));
  try {
    process.kill(w.child.pid, 'SIGTERM');
  } catch {}
  const t = setTimeout(() => {
    try {
      process.kill(w.child.pid, 'SIGKILL');
    } catch {}
  }, 5_000);
  await exited;
  clearTimeout(t);
  w.ch?.close();
}

const samples = Object.fromEntries(chosen.map((v) => [v.name, []]));
const load = { start: loadavg()[0] };
for (let round = 0; round < ROUNDS; round++) {
  const order = chosen.map((_, i) => chosen[(i + round) % chosen.length]);
  const running = [];
  try {
    for (const v of order) for (let wid = 1; wid <= WORKERS; wid++) running.push({ v, w: await startWorker(v, wid) });
    await sleep(SETTLE);
    for (const { v, w } of running) samples[v.name].push({ round, ...sample(w) });
  } finally {
    await Promise.all(running.map(({ w }) => stop(w)));
  }
  process.stderr.write('.');
}
process.stderr.write('\n');
load.end = loadavg()[0];

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const col = (xs, k) => xs.map((s) => s[k]).filter((x) => x !== undefined);
const lines = [
  `# Node worker memory, ${new Date().toISOString()}, node ${process.version}, ${ROUNDS} rounds x ${WORKERS} workers, settle ${SETTLE} ms, load ${load.start.toFixed(1)} -> ${load.end.toFixed(1)}`,
  '',
  '| worker | RSS MiB median (min-max) | PSS MiB median (min-max) | Pss_Anon | Pss_File | RssAnon | RssFile | koffi mapped | spawn -> READY=1 ms | spawn -> first 200 ms |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const v of chosen) {
  const xs = samples[v.name];
  const rss = summary(col(xs, 'rss'));
  const pss = summary(col(xs, 'pss'));
  lines.push(
    `| ${v.name} | ${f1(rss.median)} (${f1(rss.min)}-${f1(rss.max)}) | ${f1(pss.median)} (${f1(pss.min)}-${f1(pss.max)}) | ${f1(median(col(xs, 'pssAnon')))} | ${f1(median(col(xs, 'pssFile')))} | ${f1(median(col(xs, 'rssAnon')))} | ${f1(median(col(xs, 'rssFile')))} | ${xs.filter((s) => s.koffi).length}/${xs.length} | ${f1(median(col(xs, 'readyMs')))} | ${f1(median(col(xs, 'answerMs')))} |`,
  );
}
const pairs = [
  ['preload', 'preload-before', 'preload-after'],
  ['serve', 'serve-before', 'serve-after'],
  ['lib', 'lib-before', 'lib-after'],
  ['preload (base build)', 'preload-base', 'preload-after'],
  ['serve (base build)', 'serve-base', 'serve-after'],
  ['lib (base build)', 'lib-base', 'lib-after'],
].filter(([, b, a]) => samples[b] && samples[a]);
if (pairs.length > 0) {
  lines.push('', '| worker | RSS after - before, MiB | PSS after - before, MiB | READY=1 after - before, ms |', '|---|---:|---:|---:|');
  const m = (name, k) => median(col(samples[name], k));
  for (const [label, b, a] of pairs) lines.push(`| ${label} | ${f1(m(a, 'rss') - m(b, 'rss'))} | ${f1(m(a, 'pss') - m(b, 'pss'))} | ${f1(m(a, 'readyMs') - m(b, 'readyMs'))} |`);
}
console.log(lines.join('\n'));
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
const out = join(ROOT, 'bench', 'out', `worker-memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ node: process.version, rounds: ROUNDS, workers: WORKERS, settleMs: SETTLE, load, samples }, null, 2));
console.log(`\nraw samples: ${out}`);
