#!/usr/bin/env node
/**
 * Rolling restart under load: ringmaster `ctl restart web --rolling` next to pm2 cluster
 * mode `pm2 reload web`, the same app (app.cjs), 2 workers, while a load generator runs on
 * loopback with keep-alive and with `Connection: close`.
 *
 *   node bench/rolling/run.mjs [--runs 3] [--duration 10] [--connections 10]
 *        [--restart-at 2] [--gap 1] [--gen wrk,autocannon] [--modes keep-alive,close]
 *        [--managers ringmaster,pm2-default,pm2-graceful] [--max-minutes 20] [--base DIR]
 *
 * Managers:
 *   ringmaster    sockets.web on 127.0.0.1:PORT, watcher `ringmaster serve app.cjs`,
 *                 numprocesses 2, ready: notify; restart = `ringmaster ctl restart web --rolling`
 *   pm2-default   pm2 cluster mode, instances 2, pm2-server.cjs does server.listen(PORT);
 *                 pm2 defaults (waits for 'listening', SIGINT then SIGKILL after 1.6 s)
 *   pm2-graceful  the same plus what pm2's docs suggest for a graceful reload: wait_ready: true
 *                 with process.send('ready'), listen_timeout: 10000, kill_timeout: 3000, and a
 *                 SIGINT handler that calls server.close() and exits when it is done
 *   restart = `pm2 reload web` (PM2_HOME in a temp dir; `pm2 kill` at the end)
 *   preload-none, preload-exit, preload-graceful  (only when named in --managers) ringmaster
 *                 with `node --import $(ringmaster.preload)` and an app of each stop shape of
 *                 fixtures/apps: no SIGTERM handler (listen-no-handler.mjs), process.exit() on
 *                 SIGTERM as http-server does (listen-exit-on-sigterm.mjs), its own graceful
 *                 server.close() (listen-graceful.mjs); each also as NAME-nodrain, with
 *                 RINGMASTER_PRELOAD_DRAIN=0 (the preload as it was before it drained)
 *   ringmaster-base  with --base DIR (added to the default managers): ringmaster exactly as
 *                 above but from DIR/bin/ringmaster (init, `serve` and `ctl`), another build,
 *                 e.g. the code before a change (see bench/base.mjs); the report adds the
 *                 ratios ringmaster / ringmaster-base paired by run. pm2 is needed only when
 *                 a pm2 manager is in --managers.
 *
 * Every trial (manager x generator x mode) starts its manager fresh, waits until both
 * workers answer, starts the load, triggers a restart at --restart-at s and another one
 * --gap s after each restart returns while there is time for it (so 2-3 restarts per
 * trial), checks that every worker was replaced, and stops the manager. The order of the
 * managers rotates from run to run. Only pids we started are signalled; at the end /proc is
 * checked for anything left. Raw results: bench/out/rolling-<time>.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { BASE, baseArg, isRingmaster, pairedRatios, ratioCell, resolveBase } from '../base.mjs';
import { within } from '../throughput/lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const RINGMASTER = path.join(ROOT, 'bin', 'ringmaster');
const PM2 = path.join(HERE, 'node_modules', 'pm2', 'bin', 'pm2');
const APP = path.join(HERE, 'app.cjs');
const PM2_APP = path.join(HERE, 'pm2-server.cjs');
const NODE = process.execPath;
const require = createRequire(path.join(ROOT, 'package.json'));

// ---- options ----------------------------------------------------------------------------
const argv = process.argv.slice(2);
function opt(name, dflt) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
}
const RUNS = Number(opt('runs', 3));
const DURATION = Number(opt('duration', 10)); // s
const CONNECTIONS = Number(opt('connections', 10));
const RESTART_AT = Number(opt('restart-at', 2)); // s
const GAP = Number(opt('gap', 1)); // s after a restart returns before the next one
const GENS = opt('gen', 'wrk,autocannon').split(',');
const MODES = opt('modes', 'keep-alive,close').split(',');
const BASE_DIR = baseArg(argv);
const KNOWN_MANAGERS = ['ringmaster', 'pm2-default', 'pm2-graceful', ...(BASE_DIR ? [BASE] : [])];
const SHAPES = { 'preload-none': 'listen-no-handler.mjs', 'preload-exit': 'listen-exit-on-sigterm.mjs', 'preload-graceful': 'listen-graceful.mjs' };
const PRELOAD_MANAGERS = Object.keys(SHAPES).flatMap((m) => [m, `${m}-nodrain`]);
const MANAGERS = opt('managers', KNOWN_MANAGERS.join(',')).split(',');
for (const m of MANAGERS) if (!KNOWN_MANAGERS.includes(m) && !PRELOAD_MANAGERS.includes(m)) throw new Error(m === BASE ? `manager ${BASE} needs --base DIR` : `unknown manager ${m}`);
const MAX_MS = Number(opt('max-minutes', 20)) * 60_000;

const t0 = Date.now();
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = new Set(); // every pid we started or that belongs to a manager we started
let base; // resolveBase(BASE_DIR), set in main()

// ---- helpers ----------------------------------------------------------------------------
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

function alive(pid) {
  try {
    process.kill(pid, 0);
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Children of pid over all its threads. */
function children(pid) {
  const out = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        const s = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
        if (s) out.push(...s.split(/\s+/).map(Number));
      } catch {}
    }
  } catch {}
  return [...new Set(out)].filter(alive).sort((a, b) => a - b);
}

function get(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function until(pred, ms, what) {
  const end = now() + ms;
  while (now() < end) {
    if (await pred()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

function run(cmd, args, env, timeoutMs = 60_000) {
  return new Promise((resolve) => {
    const t = now();
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(c.pid);
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, ms: now() - t });
    });
  });
}

const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));

// ---- managers ---------------------------------------------------------------------------
/** `name` is ringmaster or ringmaster-base; `bin` its bin/ringmaster (init, serve and ctl). */
/** The watcher's cmd and env for a manager of PRELOAD_MANAGERS; undefined for the others. */
function preloadWatcher(name) {
  const app = SHAPES[name.replace(/-nodrain$/, '')];
  if (!app) return undefined;
  return { cmd: `${NODE} --import $(ringmaster.preload) ${path.join(ROOT, 'fixtures', 'apps', app)}`, env: name.endsWith('-nodrain') ? { RINGMASTER_PRELOAD_DRAIN: '0' } : {} };
}

async function startRingmaster(port, name, bin) {
  const preload = preloadWatcher(name);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rm-bench-rolling-'));
  const httpPort = await freePort();
  const cfg = path.join(dir, 'ringmaster.yaml');
  writeFileSync(
    cfg,
    `ringmaster:
  http_host: 127.0.0.1
  http_port: ${httpPort}
sockets:
  web: {host: 127.0.0.1, port: ${port}}
watchers:
  web:
    cmd: ${preload?.cmd ?? `${NODE} ${bin} serve ${APP}`}
    use_sockets: true
    numprocesses: 2
    ready: notify
    env: ${JSON.stringify(preload?.env ?? {})}
`,
  );
  const env = { RINGMASTER_CONTROL_SOCKET: path.join(dir, 'ctl.sock') };
  const child = spawn(NODE, [bin, '-c', cfg], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child.pid);
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d).slice(-200_000)));
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  await until(async () => (await get(`http://127.0.0.1:${httpPort}/readyz`)) === 200, 30_000, 'ringmaster /readyz');
  await until(async () => children(child.pid).length === 2 && (await get(`http://127.0.0.1:${port}/`)) === 200, 10_000, 'ringmaster workers');
  return {
    name,
    workers: () => children(child.pid),
    restart: () => run(NODE, [bin, 'ctl', 'restart', 'web', '--rolling'], env, 120_000),
    version: spawnSync(NODE, [bin, '--version'], { encoding: 'utf8' }).stdout.trim(),
    async stop() {
      const pids = [child.pid, ...children(child.pid)];
      pids.forEach((p) => started.add(p));
      if (alive(child.pid)) process.kill(child.pid, 'SIGTERM');
      const res = await within(exited, 20_000);
      for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return { exit: res, log: log.slice(-4000) };
    },
  };
}

async function startPm2(port, graceful) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rm-bench-pm2-'));
  const env = { PM2_HOME: path.join(dir, 'home') };
  const eco = path.join(dir, 'ecosystem.config.cjs');
  const app = {
    name: 'web',
    script: PM2_APP,
    exec_mode: 'cluster',
    instances: 2,
    env: { PORT: String(port), GRACEFUL: graceful ? '1' : '0' },
    ...(graceful ? { wait_ready: true, listen_timeout: 10000, kill_timeout: 3000 } : {}),
  };
  writeFileSync(eco, `module.exports = ${JSON.stringify({ apps: [app] }, null, 2)};\n`);
  const pm2 = (...args) => run(NODE, [PM2, ...args], env, 60_000);
  const godPid = () => {
    try {
      return Number(readFileSync(path.join(env.PM2_HOME, 'pm2.pid'), 'utf8'));
    } catch {
      return 0;
    }
  };
  const st = await pm2('start', eco);
  const god = godPid();
  if (god) started.add(god);
  if (st.code !== 0 || !god) throw new Error(`pm2 start failed: ${st.out}`);
  await until(async () => children(god).length === 2 && (await get(`http://127.0.0.1:${port}/`)) === 200, 30_000, 'pm2 workers');
  return {
    name: graceful ? 'pm2-graceful' : 'pm2-default',
    workers: () => children(god),
    restart: () => pm2('reload', 'web'),
    version: (await pm2('--version')).out.trim().split('\n').pop(),
    config: app,
    async stop() {
      const pids = [god, ...children(god)];
      pids.forEach((p) => started.add(p));
      const k = await pm2('kill');
      await until(async () => !pids.some(alive), 10_000, 'pm2 processes gone').catch(() => {});
      for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
      const logs = {};
      try {
        for (const f of readdirSync(path.join(env.PM2_HOME, 'logs'))) logs[f] = readFileSync(path.join(env.PM2_HOME, 'logs', f), 'utf8').slice(-2000);
        logs['pm2.log'] = readFileSync(path.join(env.PM2_HOME, 'pm2.log'), 'utf8').slice(-6000);
      } catch {}
      rmSync(dir, { recursive: true, force: true });
      return { kill: { code: k.code, ms: Math.round(k.ms) }, logs };
    },
  };
}

// ---- load generators --------------------------------------------------------------------
function startWrk(url, mode) {
  const args = ['-t', '2', '-c', String(CONNECTIONS), '-d', `${DURATION}s`, '--timeout', '2s'];
  if (mode === 'close') args.push('-H', 'Connection: close');
  args.push(url);
  return run('wrk', args, {}, (DURATION + 30) * 1000).then((r) => {
    const m = (re) => {
      const x = re.exec(r.out);
      return x ? x.slice(1).map(Number) : undefined;
    };
    const [responses] = m(/(\d+) requests in/) ?? [Number.NaN];
    const [connect, read, write, timeout] = m(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) ?? [0, 0, 0, 0];
    const [non2xx] = m(/Non-2xx or 3xx responses: (\d+)/) ?? [0];
    return {
      responses,
      ok: responses - non2xx,
      errors: connect + read + write + timeout,
      timeouts: timeout,
      non2xx,
      byKind: { connect, read, write, timeout },
      raw: r.out,
    };
  });
}

function startAutocannon(url, mode) {
  const autocannon = require('autocannon');
  const byKind = {};
  const inst = autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    timeout: 2,
    headers: mode === 'close' ? { connection: 'close' } : {},
  });
  inst.on('reqError', (e) => {
    const k = e.code ?? e.message;
    byKind[k] = (byKind[k] ?? 0) + 1;
  });
  return inst.then((r) => ({
    responses: r.requests.total,
    ok: r['2xx'],
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    resets: r.resets,
    sent: r.requests.sent,
    byKind,
  }));
}

// ---- one trial --------------------------------------------------------------------------
async function trial(managerName, gen, mode) {
  const port = await freePort();
  const la0 = loadavg();
  const m = isRingmaster(managerName) || PRELOAD_MANAGERS.includes(managerName)
    ? await startRingmaster(port, managerName, managerName === BASE ? base.bin : RINGMASTER)
    : await startPm2(port, managerName === 'pm2-graceful');
  const restarts = [];
  let stopInfo;
  let load;
  try {
    const url = `http://127.0.0.1:${port}/`;
    const tLoad = now();
    load = gen === 'wrk' ? startWrk(url, mode) : startAutocannon(url, mode);
    await sleep(RESTART_AT * 1000);
    // restarts while one more fits: the previous one's duration + 1.5 s of load after it
    let last = 0;
    while (now() - tLoad + last + 1500 < DURATION * 1000) {
      const before = m.workers();
      const at = (now() - tLoad) / 1000;
      const r = await m.restart();
      await sleep(200); // let the old worker's exit be reaped before we look
      const after = m.workers();
      restarts.push({
        at_s: Number(at.toFixed(2)),
        ms: Math.round(r.ms),
        code: r.code,
        before,
        after,
        allReplaced: after.length === 2 && after.every((p) => !before.includes(p)),
        out: r.code === 0 ? undefined : r.out.slice(-2000),
      });
      last = r.ms;
      await sleep(GAP * 1000);
    }
    load = await load;
  } finally {
    if (load && typeof load.then === 'function') load = await load.catch((e) => ({ error: String(e) }));
    stopInfo = await m.stop();
  }
  return { manager: m.name, version: m.version, gen, mode, port, loadavg_start: la0, loadavg_end: loadavg(), restarts, load: { ...load, raw: undefined }, wrkRaw: load.raw, stop: stopInfo };
}

// ---- leftovers --------------------------------------------------------------------------
function ancestors() {
  const a = new Set();
  let pid = process.pid;
  while (pid > 1) {
    a.add(pid);
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return a;
}

function leftovers() {
  const mine = [];
  const skip = ancestors();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (skip.has(pid)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if ((started.has(pid) && alive(pid)) || /rm-bench-rolling-|rm-bench-pm2-|bench\/rolling\/|fixtures\/apps\/listen-/.test(cmd)) mine.push({ pid, cmd: cmd.trim() });
  }
  return mine.filter((x) => alive(x.pid));
}

// ---- stats and report -------------------------------------------------------------------
const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return Number.NaN;
  const mid = (v.length - 1) / 2;
  return (v[Math.floor(mid)] + v[Math.ceil(mid)]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);

function report(trials) {
  const lines = [];
  for (const gen of GENS) {
    lines.push(`\n${gen}, ${CONNECTIONS} connections, ${DURATION} s, restarts from ${RESTART_AT} s (${RUNS} runs each):\n`);
    lines.push('| manager | mode | restarts (all replaced) | restart ms median (min-max) | responses/run median | failed total (errors + non-2xx) | errors by kind (total) | runs with failures |');
    lines.push('|---|---|---:|---:|---:|---:|---|---:|');
    for (const mgr of MANAGERS) {
      for (const mode of MODES) {
        const ts = trials.filter((t) => t.gen === gen && t.mode === mode && t.manager === mgr && !t.error);
        if (!ts.length) continue;
        const rs = ts.flatMap((t) => t.restarts);
        const ms = rs.map((r) => r.ms);
        const failed = ts.map((t) => (t.load.errors ?? 0) + (t.load.non2xx ?? 0));
        const kinds = {};
        for (const t of ts) for (const [k, v] of Object.entries(t.load.byKind ?? {})) if (v) kinds[k] = (kinds[k] ?? 0) + v;
        const kindStr = Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', ') || '-';
        lines.push(
          `| ${mgr} | ${mode} | ${rs.length} (${rs.filter((r) => r.allReplaced).length}) | ${Math.round(median(ms))} (${Math.min(...ms)}-${Math.max(...ms)}) | ${Math.round(median(ts.map((t) => t.load.responses)))} | ${sum(failed)} (${sum(ts.map((t) => t.load.non2xx))} non-2xx) | ${kindStr} | ${failed.filter((f) => f > 0).length}/${ts.length} |`,
        );
      }
    }
  }
  if (base && MANAGERS.includes('ringmaster') && MANAGERS.includes(BASE)) lines.push(baseReport(trials));
  return lines.join('\n');
}

/** ringmaster / ringmaster-base, paired by run: each trial's median restart, and the failures. */
function baseReport(trials) {
  const lines = [`\nringmaster / ringmaster-base (${base.git ?? base.dir}), paired by run:\n`];
  lines.push('| generator | mode | restart ms, ratio of the runs\' medians, median (min-max) | pairs | failed ringmaster | failed ringmaster-base |');
  lines.push('|---|---|---:|---:|---:|---:|');
  for (const gen of GENS) {
    for (const mode of MODES) {
      const [rm, rb] = ['ringmaster', BASE].map((mgr) => trials.filter((t) => t.gen === gen && t.mode === mode && t.manager === mgr && !t.error));
      const restartMs = (t) => median(t.restarts.map((r) => r.ms));
      const failed = (ts) => sum(ts.map((t) => (t.load.errors ?? 0) + (t.load.non2xx ?? 0)));
      const r = pairedRatios(rm, rb, (t) => t.run, restartMs);
      lines.push(`| ${gen} | ${mode} | ${ratioCell(r)} | ${r.n} | ${failed(rm)} | ${failed(rb)} |`);
    }
  }
  return lines.join('\n');
}

// ---- main -------------------------------------------------------------------------------
async function main() {
  const needPm2 = MANAGERS.some((m) => m.startsWith('pm2'));
  if (needPm2 && !existsSync(PM2)) throw new Error(`pm2 is not installed: npm install --prefix bench/rolling pm2`);
  base = BASE_DIR ? resolveBase(BASE_DIR) : undefined;
  const haveWrk = spawnSync('wrk', ['--version']).error === undefined;
  if (GENS.includes('wrk') && !haveWrk) throw new Error('wrk not found (apt-get install wrk) or pass --gen autocannon');
  mkdirSync(OUT_DIR, { recursive: true });
  const meta = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, mem_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)), kernel: os.release() },
    node: process.version,
    pm2: needPm2 ? JSON.parse(readFileSync(path.join(HERE, 'node_modules', 'pm2', 'package.json'), 'utf8')).version : undefined,
    autocannon: JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')).version,
    wrk: haveWrk ? spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] : undefined,
    git: spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim(),
    options: { RUNS, DURATION, CONNECTIONS, RESTART_AT, GAP, GENS, MODES, MANAGERS },
    base,
    loadavg_start: loadavg(),
  };
  console.error(`rolling: ${JSON.stringify(meta)}`);
  const trials = [];
  const file = path.join(OUT_DIR, `rolling-${meta.date.replace(/[:.]/g, '-')}.json`);
  const save = () => writeFileSync(file, JSON.stringify({ meta, trials }, null, 1));
  outer: for (let run = 0; run < RUNS; run++) {
    const order = MANAGERS.map((_, i) => MANAGERS[(i + run) % MANAGERS.length]);
    for (const gen of GENS) {
      for (const mode of MODES) {
        for (const mgr of order) {
          if (Date.now() - t0 > MAX_MS) {
            console.error('rolling: --max-minutes reached, stopping');
            break outer;
          }
          let t;
          try {
            t = await trial(mgr, gen, mode);
          } catch (e) {
            t = { manager: mgr, gen, mode, error: String(e?.stack ?? e) };
          }
          t.run = run;
          trials.push(t);
          save();
          const l = t.load ?? {};
          console.error(
            `run ${run} ${gen} ${mode} ${mgr}: ${t.error ? 'ERROR ' + t.error.split('\n')[0] : `responses ${l.responses} errors ${l.errors} non2xx ${l.non2xx} ${JSON.stringify(l.byKind)} restarts ${t.restarts.map((r) => `${r.ms}ms${r.allReplaced ? '' : '(NOT all replaced)'}${r.code ? ' code ' + r.code : ''}`).join(' ')} load ${t.loadavg_start[0]}->${t.loadavg_end[0]}`}`,
          );
        }
      }
    }
  }
  meta.loadavg_end = loadavg();
  await sleep(500);
  meta.leftovers = leftovers();
  save();
  console.log(report(trials));
  console.log(`\nload average (1/5/15 min) at start ${meta.loadavg_start.join(' ')}, at end ${meta.loadavg_end.join(' ')}`);
  console.log(`leftover processes: ${meta.leftovers.length ? JSON.stringify(meta.leftovers) : 'none'}`);
  console.log(`raw: ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  for (const p of started) if (alive(p)) try { process.kill(p, 'SIGKILL'); } catch {}
  process.exitCode = 1;
});
