#!/usr/bin/env node
/**
 * Throughput benchmark: requests/s of one tiny Node HTTP app (app.cjs, answers "ok") run by
 * N workers under four managers, side by side in one run:
 *
 *   ringmaster     ringmaster binds the socket; the workers inherit it as fd 3 and accept on it
 *   cluster-rr     Node cluster, SCHED_RR: the primary accepts and hands connections over IPC
 *   cluster-none   Node cluster, SCHED_NONE: the primary binds, the workers accept themselves
 *   pm2            pm2-runtime cluster mode (-i N), i.e. Node cluster round-robin plus pm2
 *   ringmaster-base  with --base DIR: ringmaster again, run from DIR/bin/ringmaster (another
 *                  build, e.g. the code before a change; see bench/base.mjs), added to the
 *                  default modes, so "ringmaster / ringmaster-base" is the change's ratio
 *
 * Load: wrk on loopback, keep-alive and `Connection: close`. Rounds are interleaved: every
 * round starts each server afresh (the order rotates by round), warms it up, then runs
 * both connection modes (their order alternates by round), then stops it. Ratios are taken
 * within a round (paired), and the medians of rates and of ratios are reported.
 *
 *   node bench/throughput/run.mjs [--rounds 5] [--duration 10] [--warmup 2] [--threads 2]
 *                                 [--conns 50] [--workers 2] [--modes a,b,...] [--base DIR]
 *
 * Needs: `npx tsc -p .` (ringmaster built), `wrk` on PATH, and pm2 installed locally with
 * `npm install --prefix bench/throughput pm2`. Writes bench/out/throughput-<time>.json.
 * Only loopback; every process it starts is stopped by pid before it exits.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveBase } from '../base.mjs';
import {
  BASE,
  OUT_DIR,
  checkPrereqs,
  cpuSeconds,
  freePort,
  median,
  now,
  sleep,
  stamp,
  startServer,
  summary,
  systemCpu,
  table,
  waitWorkers,
} from './lib.mjs';

const ALL_MODES = ['ringmaster', 'cluster-rr', 'cluster-none', 'pm2'];

function parseArgs(argv) {
  const o = { rounds: 5, duration: 10, warmup: 2, threads: 2, conns: 50, workers: 2, modes: undefined, base: undefined };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--modes') o.modes = v.split(',');
    else if (k === '--base') o.base = v;
    else if (['--rounds', '--duration', '--warmup', '--threads', '--conns', '--workers'].includes(k)) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${k} takes an integer >= 1`);
      o[k.slice(2)] = n;
    } else throw new Error(`unknown option ${k}`);
  }
  const known = o.base ? [...ALL_MODES, BASE] : ALL_MODES;
  o.modes ??= known;
  for (const m of o.modes) if (!known.includes(m)) throw new Error(m === BASE ? `mode ${BASE} needs --base DIR` : `unknown mode ${m}`);
  if (o.rounds * o.modes.length * (2 * o.duration + o.warmup + 5) > 40 * 60) throw new Error('that would take more than 40 minutes; lower --rounds or --duration');
  return o;
}

/** Run wrk once; resolves the parsed figures. */
function wrk({ port, threads, conns, duration, close }) {
  const args = [`-t${threads}`, `-c${conns}`, `-d${duration}s`, '--latency', '--timeout', '5s'];
  if (close) args.push('-H', 'Connection: close');
  args.push(`http://127.0.0.1:${port}/`);
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), (duration + 30) * 1000);
    p.on('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      resolve({ cmd: `wrk ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`, ...parseWrk(out) });
    });
  });
}

function toMs(v, unit) {
  return Number(v) * ({ us: 1e-3, ms: 1, s: 1000, m: 60000 }[unit] ?? Number.NaN);
}

export function parseWrk(out) {
  const num = (re) => {
    const m = out.match(re);
    return m ? Number(m[1]) : Number.NaN;
  };
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
    socketErrors: se ? { connect: +se[1], read: +se[2], write: +se[3], timeout: +se[4] } : { connect: 0, read: 0, write: 0, timeout: 0 },
    non2xx: out.match(/Non-2xx or 3xx responses: (\d+)/) ? num(/Non-2xx or 3xx responses: (\d+)/) : 0,
    raw: out,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  checkPrereqs({ pm2: o.modes.includes('pm2'), wrk: true });
  const base = o.base ? resolveBase(o.base) : undefined;
  mkdirSync(OUT_DIR, { recursive: true });
  const started = new Date();
  const results = []; // {round, mode, conn, rps, ..., cpu}
  const failures = []; // {round, mode, error, managerExit, managerTail}
  const log = (m) => process.stderr.write(`${m}\n`);
  const deadline = Date.now() + 45 * 60 * 1000;
  let current;
  const onSignal = async () => {
    if (current) await current.stop(3000);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  for (let r = 0; r < o.rounds; r++) {
    const order = o.modes.map((_, i) => o.modes[(i + r) % o.modes.length]);
    const conns = r % 2 === 0 ? [false, true] : [true, false];
    for (const mode of order) {
      if (Date.now() > deadline) throw new Error('time bound reached');
      const port = await freePort();
      const s = startServer(mode, { workers: o.workers, port, base });
      current = s;
      try {
        await sample(s, port, mode, r, conns);
      } catch (e) {
        // one failed sample must not lose the run: record it with the manager's own words
        const f = { round: r, mode, error: String(e.message ?? e).slice(0, 500), managerExit: s.exitInfo, managerTail: s.tail() };
        failures.push(f);
        log(`FAILED round ${r + 1} ${mode}: ${f.error.split('\n')[0]}; manager exit ${JSON.stringify(s.exitInfo)}\n  ${f.managerTail.join('\n  ')}`);
      } finally {
        const st = await s.stop();
        current = undefined;
        if (st.forced || st.leftAfter.length) log(`warning: ${mode} needed SIGKILL or left pids ${st.leftAfter.join(',')}`);
      }
    }
  }

  /** One server, warmed up, then both connection modes. Throws if the server fails. */
  async function sample(s, port, mode, r, conns) {
    await waitWorkers(port, o.workers);
    const workers = s.track().filter((p) => p !== s.pid);
    // warm-up (JIT, connection pools): discarded
    await wrk({ port, threads: o.threads, conns: o.conns, duration: o.warmup, close: false });
    for (const close of conns) {
      // foreign load: how busy the machine is while our server idles (shared VM)
      const b0 = systemCpu();
      await sleep(500);
      const b1 = systemCpu();
      const idleBusyPct = (100 * (b1.busy - b0.busy)) / Math.max(1, b1.total - b0.total);
      const top0 = cpuSeconds(s.pid);
      const w0 = workers.map(cpuSeconds);
      const sys0 = systemCpu();
      const t0 = now();
      const w = await wrk({ port, threads: o.threads, conns: o.conns, duration: o.duration, close });
      const wall = (now() - t0) / 1000;
      const sys1 = systemCpu();
      const topCpu = cpuSeconds(s.pid) - top0;
      const wCpu = workers.map((p, i) => cpuSeconds(p) - w0[i]);
      const res = {
        round: r,
        mode,
        conn: close ? 'close' : 'keep-alive',
        rps: w.rps,
        requests: w.requests,
        p50ms: w.p50ms,
        p99ms: w.p99ms,
        socketErrors: w.socketErrors,
        non2xx: w.non2xx,
        cmd: w.cmd,
        managerPid: s.pid,
        workerPids: workers,
        managerCpuPct: (100 * topCpu) / wall,
        workerCpuPct: wCpu.map((c) => (100 * c) / wall),
        systemBusyPct: (100 * (sys1.busy - sys0.busy)) / (sys1.total - sys0.total),
        idleBusyPct,
        loadavg: os.loadavg()[0],
        wrkRaw: w.raw,
      };
      if (s.exited) throw new Error(`the manager exited during the run: ${JSON.stringify(s.exitInfo)}; wrk: ${w.rps} req/s`);
      for (const p of workers) if (!Number.isFinite(cpuSeconds(p))) throw new Error(`worker ${p} disappeared during the run`);
      results.push(res);
      log(
        `round ${r + 1}/${o.rounds} ${mode.padEnd(12)} ${res.conn.padEnd(10)} ${res.rps.toFixed(0).padStart(7)} req/s` +
          `  manager ${res.managerCpuPct.toFixed(1)}% cpu, workers ${res.workerCpuPct.map((x) => x.toFixed(0)).join('/')}%` +
          `, system ${res.systemBusyPct.toFixed(0)}% busy (${idleBusyPct.toFixed(0)}% before, idle), errors ${Object.values(res.socketErrors).reduce((a, b) => a + b, 0)}`,
      );
    }
  }

  // ---- summary ----
  const byKey = (mode, conn) => results.filter((x) => x.mode === mode && x.conn === conn).sort((a, b) => a.round - b.round);
  const connModes = ['keep-alive', 'close'];
  const summaryRows = [];
  const sum = {};
  for (const conn of connModes) {
    for (const mode of o.modes) {
      const xs = byKey(mode, conn);
      const rps = summary(xs.map((x) => x.rps));
      const ratio = (other) => {
        const ys = byKey(other, conn);
        const paired = xs.map((x) => ys.find((y) => y.round === x.round)).map((y, i) => (y ? xs[i].rps / y.rps : Number.NaN));
        return summary(paired);
      };
      const entry = {
        rps,
        p50ms: median(xs.map((x) => x.p50ms)),
        p99ms: median(xs.map((x) => x.p99ms)),
        managerCpuPct: median(xs.map((x) => x.managerCpuPct)),
        workerCpuPct: median(xs.map((x) => x.workerCpuPct.reduce((a, b) => a + b, 0))),
        workerImbalance: median(xs.map((x) => Math.max(...x.workerCpuPct) / Math.max(1e-9, Math.min(...x.workerCpuPct)))),
        systemBusyPct: median(xs.map((x) => x.systemBusyPct)),
        idleBusyPct: median(xs.map((x) => x.idleBusyPct)),
        errors: xs.reduce((a, x) => a + Object.values(x.socketErrors).reduce((p, q) => p + q, 0) + x.non2xx, 0),
        vsRingmaster: o.modes.includes('ringmaster') ? ratio('ringmaster') : undefined,
      };
      sum[`${mode}/${conn}`] = entry;
      summaryRows.push({ conn, mode, entry });
    }
  }
  const ratiosOfRingmaster = {};
  if (o.modes.includes('ringmaster')) {
    for (const conn of connModes) {
      for (const other of o.modes.filter((m) => m !== 'ringmaster')) {
        const xs = byKey('ringmaster', conn);
        const ys = byKey(other, conn);
        const paired = xs.map((x) => {
          const y = ys.find((q) => q.round === x.round);
          return y ? x.rps / y.rps : Number.NaN;
        });
        ratiosOfRingmaster[`${conn}: ringmaster / ${other}`] = summary(paired);
      }
    }
  }

  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const rows = summaryRows.map(({ conn, mode, entry: e }) => [
    conn,
    mode,
    `**${f0(e.rps.median)}**`,
    `${f0(e.rps.min)}-${f0(e.rps.max)}`,
    mode === 'ringmaster' ? '1' : f2(1 / (e.vsRingmaster?.median ?? Number.NaN)),
    f2(e.p50ms),
    f2(e.p99ms),
    f1(e.managerCpuPct),
    f0(e.workerCpuPct),
    f2(e.workerImbalance),
    f0(e.systemBusyPct),
    f0(e.idleBusyPct),
    String(e.errors),
  ]);
  const tab1 = table(
    ['connection', 'server', 'req/s median', 'min-max', 'ringmaster / this (paired, median)', 'p50 ms', 'p99 ms', 'manager CPU %', 'workers CPU % (sum)', 'worker CPU max/min', 'system busy %', 'busy % before (idle)', 'errors'],
    rows,
  );
  const tab2 = table(
    ['ratio', 'median', 'min', 'max', 'n'],
    Object.entries(ratiosOfRingmaster).map(([k, v]) => [k, `**${f2(v.median)}**`, f2(v.min), f2(v.max), String(v.n)]),
  );
  const out = {
    benchmark: 'throughput',
    started: started.toISOString(),
    finished: new Date().toISOString(),
    options: o,
    base,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release(), node: process.version },
    summary: sum,
    ratiosOfRingmaster,
    failures,
    runs: results,
  };
  const file = path.join(OUT_DIR, `throughput-${stamp()}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`\n${tab1}\n\n${tab2}\n\n${failures.length ? `failed samples: ${failures.map((f) => `round ${f.round + 1} ${f.mode}`).join(', ')} (details in the JSON)\n\n` : ''}raw: ${path.relative(process.cwd(), file)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
