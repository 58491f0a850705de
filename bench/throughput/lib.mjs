/**
 * Helpers shared by bench/throughput/run.mjs and bench/respawn/run.mjs: the servers under
 * test (ringmaster, Node cluster, pm2-runtime, plain node), process bookkeeping through
 * /proc, HTTP probes on loopback, and small statistics.
 *
 * Every process is started by us and stopped by pid: first the signal the manager documents
 * for shutdown, then SIGKILL of the pids we recorded (the manager and its children) if they
 * are still there after a bound. Nothing is killed by name.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const OUT_DIR = path.join(ROOT, 'bench', 'out');
export const APP = path.join(HERE, 'app.cjs');
export const CLUSTER_PRIMARY = path.join(HERE, 'cluster-primary.cjs');
export const RINGMASTER = path.join(ROOT, 'bin', 'ringmaster');
export const PM2_RUNTIME = path.join(HERE, 'node_modules', 'pm2', 'bin', 'pm2-runtime');
export const NODE = process.execPath;
export const CLK_TCK = 100; // Linux USER_HZ as seen in /proc (getconf CLK_TCK)
/** The second ringmaster build (`--base DIR`, see bench/base.mjs), run like `ringmaster`. */
export const BASE = 'ringmaster-base';
/** True for the managers that are ringmaster, whichever build. */
export const isRingmaster = (kind) => kind === 'ringmaster' || kind === BASE;

export const now = () => Number(process.hrtime.bigint()) / 1e6; // ms, monotonic
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/**
 * `promise`, or undefined after `ms`; the timer is cleared when the promise settles first,
 * so a driver does not sit idle until a bound that was not needed runs out before it exits.
 */
export function within(promise, ms) {
  let timer;
  const bound = new Promise((r) => (timer = setTimeout(r, ms, undefined)));
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

// ---- statistics ------------------------------------------------------------------------

export function quantile(xs, q) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
export const median = (xs) => quantile(xs, 0.5);
export function summary(xs) {
  const v = xs.filter(Number.isFinite);
  return {
    n: v.length,
    median: median(v),
    p10: quantile(v, 0.1),
    p90: quantile(v, 0.9),
    min: v.length ? Math.min(...v) : Number.NaN,
    max: v.length ? Math.max(...v) : Number.NaN,
  };
}

/** Print rows (arrays of cells) as a Markdown table. */
export function table(header, rows) {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

// ---- /proc ------------------------------------------------------------------------------

/** {state, ppid, utime, stime, starttime} of a pid from /proc/PID/stat, or undefined. */
export function procStat(pid) {
  let s;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state); field n is f[n - 3]
  return { state: f[0], ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), starttime: Number(f[19]) };
}

/** CPU seconds (user + system) used so far by pid, or NaN if gone. */
export function cpuSeconds(pid) {
  const s = procStat(pid);
  return s ? (s.utime + s.stime) / CLK_TCK : Number.NaN;
}

/** Pids whose parent is `pid` (live or zombie). */
export function childrenOf(pid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(d);
    if (s && s.ppid === pid) out.push(Number(d));
  }
  return out;
}

/** All descendants of pid. */
export function descendantsOf(pid) {
  const byParent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = procStat(d);
    if (!s) continue;
    if (!byParent.has(s.ppid)) byParent.set(s.ppid, []);
    byParent.get(s.ppid).push(Number(d));
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    for (const c of byParent.get(todo.pop()) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

/** True while pid exists and is not a zombie. */
export function alive(pid) {
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z';
}

/** System-wide CPU counters from /proc/stat: {busy, total} in ticks. */
export function systemCpu() {
  const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = l.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = l[3] + l[4];
  return { busy: total - idle, total };
}

// ---- network ----------------------------------------------------------------------------

/** A TCP port on 127.0.0.1 that is free right now (the kernel picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * One HTTP GET on a fresh connection (no keep-alive). Resolves
 * {ok, body, status, connectedAt, doneAt, code} with times from now(); never rejects.
 */
export function httpGet(port, urlPath = '/', timeoutMs = 3000) {
  return new Promise((resolve) => {
    const startedAt = now();
    let connectedAt;
    let settled = false;
    const finish = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ startedAt, connectedAt, doneAt: now(), ...r });
    };
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => finish({ ok: true, status: res.statusCode, body }));
      res.on('error', (e) => finish({ ok: false, code: e.code ?? e.message }));
    });
    req.on('socket', (s) => s.once('connect', () => (connectedAt = now())));
    req.on('error', (e) => finish({ ok: false, code: e.code ?? e.message }));
    const timer = setTimeout(() => {
      finish({ ok: false, code: 'TIMEOUT' });
      req.destroy();
    }, timeoutMs);
  });
}

/** A bare TCP connect then close. Resolves {ok, code, at}. */
export function tcpConnect(port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const t = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, code: 'TIMEOUT', at: now() });
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve({ ok: true, at: now() });
    });
    s.once('error', (e) => {
      clearTimeout(t);
      resolve({ ok: false, code: e.code, at: now() });
    });
  });
}

/** Poll /pid until `n` distinct worker pids answered, or throw after `timeoutMs`. */
export async function waitWorkers(port, n, timeoutMs = 20000) {
  const seen = new Set();
  const t0 = now();
  while (now() - t0 < timeoutMs) {
    const r = await httpGet(port, '/pid', 1000);
    if (r.ok && /^\d+$/.test(r.body)) {
      seen.add(Number(r.body));
      if (seen.size >= n) return [...seen];
    } else await sleep(20);
  }
  throw new Error(`only ${seen.size} of ${n} workers answered on port ${port} within ${timeoutMs} ms`);
}

// ---- servers under test -----------------------------------------------------------------

/**
 * Start one server under test; returns {kind, pid, port, child, lines, tmp, stop()}.
 * kinds: ringmaster | ringmaster-base | cluster-rr | cluster-none | pm2 | node (plain node, 1 process).
 * opts: {workers, port, refork (cluster), ringmasterExtra (YAML lines for the watcher),
 * base (resolveBase() of bench/base.mjs: the build ringmaster-base runs; required for it)}.
 * `lines` collects [time, text] of the manager's stdout+stderr (times from now()).
 */
export function startServer(kind, opts) {
  const { workers = 2, port } = opts;
  if (kind === BASE && !opts.base) throw new Error(`${BASE} needs --base DIR`);
  const tmp = mkdtempSync(path.join(os.tmpdir(), `rm-bench-${kind}-`));
  let argv;
  const env = { ...process.env };
  if (isRingmaster(kind)) {
    const cfg = path.join(tmp, 'ringmaster.yaml');
    writeFileSync(
      cfg,
      [
        'sockets:',
        '  web:',
        '    host: 127.0.0.1',
        `    port: ${port}`,
        '    backlog: 2048',
        'watchers:',
        '  web:',
        `    cmd: ${NODE} ${APP} fd:$(circus.sockets.web)`,
        `    numprocesses: ${workers}`,
        ...(opts.ringmasterExtra ?? []).map((l) => `    ${l}`),
        '',
      ].join('\n'),
    );
    argv = [kind === BASE ? opts.base.bin : RINGMASTER, '-c', cfg];
  } else if (kind === 'cluster-rr' || kind === 'cluster-none') {
    argv = [CLUSTER_PRIMARY, kind === 'cluster-rr' ? 'rr' : 'none', String(workers), String(port), '--log'];
    if (opts.refork) argv.push('--refork');
  } else if (kind === 'pm2') {
    env.PM2_HOME = path.join(tmp, 'pm2home');
    env.APP_LISTEN = `port:${port}`;
    argv = [PM2_RUNTIME, 'start', APP, '-i', String(workers), '--name', 'app'];
  } else if (kind === 'node') {
    argv = [APP, `port:${port}`];
  } else throw new Error(`unknown server kind ${kind}`);
  const startedAt = now();
  const child = spawn(NODE, argv, { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const collect = (stream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      const t = now();
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push([t, buf.slice(0, i)]);
        for (const w of watchersOfLines) w(t, buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (lines.length > 5000) lines.splice(0, lines.length - 5000);
    });
  };
  const watchersOfLines = [];
  collect(child.stdout);
  collect(child.stderr);
  let exited = false;
  let exitInfo;
  const exitP = new Promise((r) =>
    child.once('exit', (code, sig) => {
      exited = true;
      exitInfo = { code, sig, afterMs: now() - startedAt };
      r({ code, sig });
    }),
  );
  const seenPids = new Map(); // pid -> starttime, so a recycled pid is never taken for ours
  const s = {
    kind,
    port,
    pid: child.pid,
    child,
    startedAt,
    lines,
    onLine: (fn) => watchersOfLines.push(fn),
    /** Remember the current descendants, so that stop() can account for them. */
    track() {
      for (const p of descendantsOf(child.pid)) {
        const st = procStat(p);
        if (st && !seenPids.has(p)) seenPids.set(p, st.starttime);
      }
      return [...seenPids.keys()];
    },
    get exited() {
      return exited;
    },
    /** {code, sig, afterMs} once the manager has exited. */
    get exitInfo() {
      return exitInfo;
    },
    /** The manager's last output lines, for a failure report. */
    tail(n = 30) {
      return lines.slice(-n).map(([t, l]) => `+${(t - startedAt).toFixed(0)}ms ${l}`);
    },
    /** SIGTERM the manager, wait (bounded) until it and every pid we saw under it are gone. */
    async stop(graceMs = 10000) {
      s.track();
      if (!exited) child.kill('SIGTERM');
      const t0 = now();
      const remaining = () => [...seenPids].filter(([p, st]) => alive(p) && procStat(p)?.starttime === st).map(([p]) => p);
      while (now() - t0 < graceMs && (!exited || remaining().length)) await sleep(20);
      const left = remaining();
      let forced = false;
      if (!exited || left.length) {
        forced = true;
        for (const p of left) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {}
        }
        if (!exited) child.kill('SIGKILL');
        await Promise.race([exitP, sleep(3000)]);
      }
      const res = await Promise.race([exitP, sleep(100).then(() => ({ code: null, sig: 'unknown' }))]);
      rmSync(tmp, { recursive: true, force: true });
      return { ...res, forced, leftAfter: remaining() };
    },
  };
  return s;
}

/** Fail early with a clear message when a prerequisite is missing. */
export function checkPrereqs({ pm2 = false, wrk = false } = {}) {
  const errs = [];
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) errs.push('ringmaster is not built: run `npx tsc -p .` in the repository root');
  if (pm2 && !existsSync(PM2_RUNTIME)) errs.push('pm2 is not installed here: run `npm install --prefix bench/throughput pm2`');
  if (wrk) {
    const found = (process.env.PATH ?? '').split(':').some((d) => existsSync(path.join(d, 'wrk')));
    if (!found) errs.push('wrk is not on PATH: `apt-get install -y wrk`');
  }
  if (errs.length) {
    for (const e of errs) process.stderr.write(`${e}\n`);
    process.exit(2);
  }
}

export function stamp() {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
