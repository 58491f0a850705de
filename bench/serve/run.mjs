#!/usr/bin/env node
/**
 * Overhead of `ringmaster serve` against a plain `http.createServer(handler).listen({fd: 3})`
 * (issue 4, "Keep it thin").
 *
 * This driver binds and listens on 127.0.0.1:0 itself, with ringmaster's own
 * `bindAndListen` (so neither server binds anything), and hands that socket to each server as
 * fd 3. The servers, one process each, run one at a time on that same socket:
 *
 *   serve          node bin/ringmaster serve handler.mjs   (NOTIFY_SOCKET set, as under ringmaster)
 *   plain          node plain.mjs                          (createServer(handler).listen({fd: 3}))
 *   plain-b        the same as plain, a second time: the A/A pair that shows what noise alone does
 *   serve-nonotify ringmaster serve without NOTIFY_SOCKET  (optional)
 *   plain-prepend  plain.mjs plus serve.ts's prepended 'request' listener (optional)
 *
 * Every round runs both connection modes (keep-alive, then `Connection: close`, or the other
 * way round) and, within each mode, every server once, in an order that rotates by round and
 * by mode. Each server is started afresh, waited for (READY=1 when notified, then an HTTP
 * 200), warmed up with keep-alive load that is not counted, measured with wrk, and stopped.
 * Reported: req/s, latency p50/p99 (wrk --latency), the server's CPU time per request
 * (utime + stime from /proc/PID/stat over the wrk run), its RSS, and ratios X / plain taken
 * within a round, with their medians.
 *
 *   node bench/serve/run.mjs [--rounds 7] [--duration 5] [--warmup 2] [--threads 2] [--conns 50]
 *                            [--variants serve,plain,plain-b] [--modes keepalive,close]
 *                            [--max-minutes 20]
 *
 * Needs: `npx tsc -p .` (dist/ built) and `wrk` on PATH. Loopback only. Every process is one we
 * spawned and is stopped through its own handle (SIGTERM, SIGKILL after 5 s); at the end the
 * driver checks /proc for anything of ours left. Raw results: bench/out/serve-<time>.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const RINGMASTER = path.join(ROOT, 'bin', 'ringmaster');
const HANDLER = path.join(HERE, 'handler.mjs');
const PLAIN = path.join(HERE, 'plain.mjs');
const NODE = process.execPath;
const CLK_TCK = 100;

const { bindAndListen, localPort, bindDatagram, drainDatagrams, closeSocket } = await import(
  pathToFileURL(path.join(ROOT, 'dist', 'src', 'sys', 'socket.js')).href
);

const VARIANTS = {
  serve: { argv: [RINGMASTER, 'serve', HANDLER], notify: true },
  'serve-nonotify': { argv: [RINGMASTER, 'serve', HANDLER], notify: false },
  plain: { argv: [PLAIN] },
  'plain-b': { argv: [PLAIN] },
  'plain-prepend': { argv: [PLAIN], env: { PLAIN_PREPEND: '1' } },
};
const MODES = ['keepalive', 'close'];

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function quantile(xs, q) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
const median = (xs) => quantile(xs, 0.5);
const summary = (xs) => {
  const v = xs.filter(Number.isFinite);
  return { n: v.length, median: median(v), min: Math.min(...v), max: Math.max(...v), values: v };
};
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '-');
const table = (header, rows) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function parseArgs(argv) {
  const o = { rounds: 7, duration: 5, warmup: 2, threads: 2, conns: 50, variants: ['serve', 'plain', 'plain-b'], modes: MODES, maxMinutes: 20 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[++i];
    if (k === '--variants') o.variants = v.split(',');
    else if (k === '--modes') o.modes = v.split(',');
    else if (k === '--max-minutes') o.maxMinutes = Number(v);
    else if (['--rounds', '--duration', '--warmup', '--threads', '--conns'].includes(k)) o[k.slice(2)] = Number(v);
    else throw new Error(`unknown option ${k}`);
  }
  for (const v of o.variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (${Object.keys(VARIANTS).join(', ')})`);
  for (const m of o.modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m}`);
  if (!o.variants.includes('plain')) throw new Error('the variants must include plain (the baseline)');
  const planned = o.rounds * o.modes.length * o.variants.length * (o.duration + o.warmup + 1.5);
  if (planned > o.maxMinutes * 60) throw new Error(`planned ~${Math.ceil(planned / 60)} min > --max-minutes ${o.maxMinutes}`);
  o.plannedSec = planned;
  return o;
}

// ---- /proc ------------------------------------------------------------------------------

function procStat(pid) {
  let s;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), starttime: Number(f[19]) };
}
const cpuTicks = (pid) => {
  const s = procStat(pid);
  return s ? s.utime + s.stime : Number.NaN;
};
function memKb(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/status`, 'utf8');
    const g = (k) => Number(t.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1]);
    return { rss: g('VmRSS'), hwm: g('VmHWM'), anon: g('RssAnon'), file: g('RssFile') };
  } catch {
    return {};
  }
}
function systemCpu() {
  const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = l.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - l[3] - l[4], total };
}
const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));

// ---- HTTP and wrk -----------------------------------------------------------------------

function httpGet(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ok: res.statusCode === 200 && body === 'ok', status: res.statusCode, body }));
      res.on('error', () => resolve({ ok: false }));
    });
    req.on('error', (e) => resolve({ ok: false, code: e.code }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
  });
}

function toMs(v, unit) {
  return Number(v) * ({ us: 1e-3, ms: 1, s: 1000, m: 60000 }[unit] ?? Number.NaN);
}
function parseWrk(out) {
  const num = (re) => Number(out.match(re)?.[1] ?? Number.NaN);
  const lat = (pct) => {
    const m = out.match(new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm'));
    return m ? toMs(m[1], m[2]) : Number.NaN;
  };
  const se = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    p50ms: lat(50),
    p99ms: lat(99),
    errors: se ? +se[1] + +se[2] + +se[3] + +se[4] : 0,
    non2xx: Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
    raw: out,
  };
}
const running = new Set(); // ChildProcess objects of ours still running
function wrk({ port, threads, conns, duration, close }) {
  const args = [`-t${threads}`, `-c${conns}`, `-d${duration}s`, '--latency', '--timeout', '5s'];
  if (close) args.push('-H', 'Connection: close');
  args.push(`http://127.0.0.1:${port}/`);
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(p);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), (duration + 20) * 1000);
    p.on('exit', (code) => {
      running.delete(p);
      clearTimeout(kill);
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      resolve({ cmd: `wrk ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`, ...parseWrk(out) });
    });
  });
}

// ---- servers ----------------------------------------------------------------------------

async function startServer(name, listenFd, port, tmp) {
  const v = VARIANTS[name];
  const env = { ...process.env, ...(v.env ?? {}) };
  for (const k of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'NODE_OPTIONS']) delete env[k];
  let notifyFd;
  let notifyPath;
  if (v.notify) {
    notifyPath = path.join(tmp, `notify-${name}-${Date.now()}`);
    notifyFd = bindDatagram(notifyPath);
    env.NOTIFY_SOCKET = notifyPath;
  }
  const t0 = now();
  const child = spawn(NODE, v.argv, { cwd: HERE, env, stdio: ['ignore', 'pipe', 'pipe', listenFd] });
  running.add(child);
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal, at: now() })));
  exited.then(() => running.delete(child));
  let gone = false;
  exited.then(() => (gone = true));
  const s = { name, pid: child.pid, child, exited, startedAt: t0, messages: [] };
  try {
    if (v.notify) {
      while (!s.messages.some((m) => /^READY=1$/m.test(m))) {
        if (gone) throw new Error(`${name} exited before READY=1: ${log}`);
        if (now() - t0 > 15000) throw new Error(`${name}: no READY=1 within 15 s: ${log}`);
        s.messages.push(...drainDatagrams(notifyFd));
        await sleep(5);
      }
      s.readyMs = now() - t0;
    }
    for (;;) {
      if (gone) throw new Error(`${name} exited before answering: ${log}`);
      if (now() - t0 > 15000) throw new Error(`${name}: no HTTP answer within 15 s: ${log}`);
      if ((await httpGet(port, 500)).ok) break;
      await sleep(10);
    }
    s.answeringMs = now() - t0;
  } catch (e) {
    await stopServer(s);
    throw e;
  } finally {
    if (notifyFd !== undefined) {
      closeSocket(notifyFd);
      rmSync(notifyPath, { force: true });
    }
  }
  s.log = () => log;
  return s;
}

async function stopServer(s) {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
  const t = setTimeout(() => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  }, 5000);
  const e = await s.exited;
  clearTimeout(t);
  return e;
}

// ---- main -------------------------------------------------------------------------------

function describeMachine() {
  const cpus = os.cpus();
  const gitRev = (() => {
    try {
      return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  })();
  // dist/ is what runs: warn when a source file of the serve path is newer than its build.
  const stale = [];
  for (const f of ['src/worker/serve.ts', 'src/worker/index.ts', 'src/sys/socket.ts', 'src/sys/ffi.ts']) {
    const js = path.join(ROOT, 'dist', f.replace(/\.ts$/, '.js'));
    try {
      if (statSync(path.join(ROOT, f)).mtimeMs > statSync(js).mtimeMs) stale.push(f);
    } catch {
      stale.push(`${f} (no build)`);
    }
  }
  let wrkVersion;
  try {
    wrkVersion = execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  } catch (e) {
    wrkVersion = String(e.stdout ?? '').split('\n')[0] || 'unknown';
  }
  return { node: process.version, cpus: cpus.length, cpuModel: cpus[0]?.model, memGiB: +(os.totalmem() / 2 ** 30).toFixed(1), kernel: os.release(), gitRev, staleDist: stale, wrk: wrkVersion };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(OUT_DIR, { recursive: true });
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  console.log(`# ringmaster serve overhead, ${startedAt}`);
  console.log(JSON.stringify({ ...o, machine }));
  if (machine.staleDist.length) console.log(`WARNING: newer than dist/: ${machine.staleDist.join(', ')} (run npx tsc -p .)`);

  const listenFd = bindAndListen({ family: 'inet', address: '127.0.0.1', port: 0 }, { backlog: 2048 });
  const port = localPort(listenFd);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rm-bench-serve-'));
  console.log(`listening socket: fd ${listenFd}, 127.0.0.1:${port}; planned ~${Math.ceil(o.plannedSec / 60)} min`);

  // A hard bound on the whole run, whatever happens.
  const deadline = setTimeout(() => {
    console.error('over the time bound: stopping our processes');
    for (const c of running) c.kill('SIGKILL');
    process.exit(2);
  }, (o.maxMinutes + 5) * 60_000);
  deadline.unref();

  const samples = [];
  const t0 = now();
  for (let r = 0; r < o.rounds; r++) {
    const modes = r % 2 === 0 ? o.modes : [...o.modes].reverse();
    for (let m = 0; m < modes.length; m++) {
      const mode = modes[m];
      const k = (r + m) % o.variants.length;
      const order = [...o.variants.slice(k), ...o.variants.slice(0, k)];
      for (const name of order) {
        const s = await startServer(name, listenFd, port, tmp);
        await sleep(200);
        const idleMem = memKb(s.pid);
        await wrk({ port, threads: o.threads, conns: o.conns, duration: o.warmup, close: false });
        const load0 = loadavg();
        const sys0 = systemCpu();
        const c0 = cpuTicks(s.pid);
        const w0 = now();
        const w = await wrk({ port, threads: o.threads, conns: o.conns, duration: o.duration, close: mode === 'close' });
        const wall = (now() - w0) / 1000;
        const c1 = cpuTicks(s.pid);
        const sys1 = systemCpu();
        const loadedMem = memKb(s.pid);
        const alive = s.child.exitCode === null && s.child.signalCode === null;
        const exit = await stopServer(s);
        const ticks = c1 - c0;
        const sample = {
          round: r,
          mode,
          name,
          pid: s.pid,
          readyMs: s.readyMs,
          answeringMs: s.answeringMs,
          rps: w.rps,
          requests: w.requests,
          p50ms: w.p50ms,
          p99ms: w.p99ms,
          errors: w.errors,
          non2xx: w.non2xx,
          cpuTicks: ticks,
          cpuUsPerReq: (ticks / CLK_TCK / w.requests) * 1e6,
          cpuPct: (100 * ticks) / CLK_TCK / wall,
          systemBusyPct: (100 * (sys1.busy - sys0.busy)) / Math.max(1, sys1.total - sys0.total),
          load: load0,
          idleMem,
          loadedMem,
          aliveAfterLoad: alive,
          exit: { code: exit.code, signal: exit.signal },
          notifyMessages: s.messages,
          wrkCmd: w.cmd,
          wrkRaw: w.raw,
          serverLog: s.log(),
        };
        samples.push(sample);
        console.log(
          `round ${r} ${mode.padEnd(9)} ${name.padEnd(14)} ${f0(w.rps).padStart(6)} req/s  p50 ${f3(w.p50ms)} p99 ${f3(w.p99ms)} ms  cpu ${f2(sample.cpuUsPerReq)} us/req (${f0(sample.cpuPct)} %)  rss ${idleMem.rss}/${loadedMem.rss} kB  sys ${f0(sample.systemBusyPct)} %  load ${load0[0]}  err ${w.errors + w.non2xx}  exit ${exit.code ?? exit.signal}`,
        );
        if (!alive) throw new Error(`${name} died during the load: ${s.log()}`);
      }
    }
  }
  const elapsedMin = (now() - t0) / 60000;
  closeSocket(listenFd);
  rmSync(tmp, { recursive: true, force: true });

  // ---- figures ----
  const pick = (mode, name) => samples.filter((x) => x.mode === mode && x.name === name);
  const pair = (mode, name, key) => {
    const out = [];
    for (let r = 0; r < o.rounds; r++) {
      const a = samples.find((x) => x.round === r && x.mode === mode && x.name === name);
      const b = samples.find((x) => x.round === r && x.mode === mode && x.name === 'plain');
      if (a && b) out.push(a[key] / b[key]);
    }
    return summary(out);
  };
  const results = {};
  const rowsMain = [];
  const rowsRatio = [];
  const rowsRound = [];
  for (const mode of o.modes) {
    results[mode] = {};
    for (const name of o.variants) {
      const xs = pick(mode, name);
      const e = {
        rps: summary(xs.map((x) => x.rps)),
        p50ms: summary(xs.map((x) => x.p50ms)),
        p99ms: summary(xs.map((x) => x.p99ms)),
        cpuUsPerReq: summary(xs.map((x) => x.cpuUsPerReq)),
        cpuPct: summary(xs.map((x) => x.cpuPct)),
        idleRssKb: summary(xs.map((x) => x.idleMem.rss)),
        loadedRssKb: summary(xs.map((x) => x.loadedMem.rss)),
        errors: xs.reduce((a, x) => a + x.errors + x.non2xx, 0),
      };
      if (name !== 'plain') {
        e.ratioToPlain = {
          rps: pair(mode, name, 'rps'),
          p50ms: pair(mode, name, 'p50ms'),
          p99ms: pair(mode, name, 'p99ms'),
          cpuUsPerReq: pair(mode, name, 'cpuUsPerReq'),
        };
      }
      results[mode][name] = e;
      rowsMain.push([
        mode,
        name,
        `**${f0(e.rps.median)}**`,
        `${f0(e.rps.min)}-${f0(e.rps.max)}`,
        f3(e.p50ms.median),
        f3(e.p99ms.median),
        f2(e.cpuUsPerReq.median),
        f0(e.cpuPct.median),
        f0(e.idleRssKb.median / 1024 * 10) / 10 + '',
        f0(e.loadedRssKb.median / 1024 * 10) / 10 + '',
        String(e.errors),
      ]);
      if (e.ratioToPlain) {
        const q = e.ratioToPlain;
        const cell = (s) => `${f3(s.median)} (${f3(s.min)}-${f3(s.max)})`;
        rowsRatio.push([mode, `${name} / plain`, `**${cell(q.rps)}**`, cell(q.p50ms), cell(q.p99ms), cell(q.cpuUsPerReq), String(q.rps.n)]);
        rowsRound.push([mode, `${name} / plain`, ...q.rps.values.map(f3)]);
      }
    }
  }
  const mdMain = table(['connection', 'server', 'req/s median', 'min-max', 'p50 ms', 'p99 ms', 'CPU us/req', 'CPU %', 'RSS idle MiB', 'RSS loaded MiB', 'errors'], rowsMain);
  const mdRatio = table(['connection', 'ratio (paired per round)', 'req/s: median (min-max)', 'p50', 'p99', 'CPU per req', 'rounds'], rowsRatio);
  const mdRound = table(['connection', 'req/s ratio', ...Array.from({ length: o.rounds }, (_, i) => `r${i}`)], rowsRound);
  const startup = o.variants.map((n) => [n, f0(median(samples.filter((x) => x.name === n).map((x) => x.answeringMs))), f0(median(samples.filter((x) => x.name === n).map((x) => x.readyMs)))]);
  const mdStart = table(['server', 'spawn -> first 200, ms (median)', 'spawn -> READY=1, ms'], startup);
  const exits = {};
  for (const x of samples) exits[`${x.name}: ${x.exit.code ?? x.exit.signal}`] = (exits[`${x.name}: ${x.exit.code ?? x.exit.signal}`] ?? 0) + 1;

  // ---- nothing left behind ----
  await sleep(200);
  const ours = new Set(samples.map((x) => x.pid));
  const leftovers = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(d);
    if (!st || st.state === 'Z' && st.ppid !== process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {}
    if (st.ppid === process.pid || ours.has(Number(d)) || cmd.includes(HERE) || (cmd.startsWith('wrk ') && cmd.includes(`:${port}/`))) leftovers.push({ pid: Number(d), ppid: st.ppid, cmd });
  }

  const endedAt = new Date().toISOString();
  const file = path.join(OUT_DIR, `serve-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ startedAt, endedAt, elapsedMin, options: o, machine, port, results, exits, leftovers, samples }, null, 1));
  console.log(`\n${startedAt} -> ${endedAt} (${elapsedMin.toFixed(1)} min), load at end ${loadavg().join(' ')}\n`);
  console.log(mdMain, '\n');
  console.log(mdRatio, '\n');
  console.log(mdRound, '\n');
  console.log(mdStart, '\n');
  console.log('exits:', JSON.stringify(exits));
  console.log(leftovers.length ? `LEFT BEHIND: ${JSON.stringify(leftovers)}` : 'nothing of ours left running');
  console.log(`raw: ${path.relative(ROOT, file)}`);
}

main().catch((e) => {
  console.error(e);
  for (const c of running) c.kill('SIGKILL');
  process.exitCode = 1;
});
