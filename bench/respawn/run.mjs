#!/usr/bin/env node
/**
 * Start-up and respawn benchmark, side by side in one run (blocks interleaved, the order
 * rotating by round). The app is bench/throughput/app.cjs (answers "ok"; "/pid" answers
 * its pid), one worker, loopback only.
 *
 * A. start-up: from spawn() of the manager to
 *      connect  the first TCP connect that succeeds (for ringmaster that is its own socket,
 *               listening before any worker runs, so connects succeed and queue), and
 *      serve    the first HTTP response (a worker accepted and answered).
 *    Servers: ringmaster -c (1 worker on the shared fd), a Node cluster primary with
 *    1 worker (SCHED_RR), and plain `node app.cjs` (Node's own start-up, the floor).
 *
 * B. SIGKILL -> replacement serving: with 1 worker, kill it with SIGKILL at t0; "replacement
 *    serving" is the first HTTP response, received after t0, that comes from a pid other
 *    than the killed one. With one worker the replacement must be the one that serves.
 *    Meanwhile a client hammers the port: H loops of GET /pid on fresh connections (one
 *    every --pace-ms each) and a connect prober (a bare TCP connect every --probe-ms).
 *    Counted per kill, over [t0, replacement serving]: connect attempts, refused, other
 *    errors. Also: t0 -> the manager's log line for the new worker (its reaction), and
 *    requests reset because they were in flight in the killed worker.
 *    Servers: ringmaster (with backoff_reset: 1, so that each kill, >= --gap-ms after the
 *    previous replacement served, is a "first quick failure" respawned at once, as any
 *    kill after 10 s of healthy uptime is with the defaults), Node cluster primaries that
 *    fork a new worker on 'exit' (SCHED_RR and SCHED_NONE).
 *
 *   node bench/respawn/run.mjs [--starts 15] [--rounds 4] [--kills 5] [--gap-ms 1500]
 *                              [--loops 2] [--pace-ms 5] [--probe-ms 3] [--only startup,kill]
 *                              [--base DIR]
 *
 * --base DIR adds `ringmaster-base` to both parts: ringmaster run exactly the same way but
 * from DIR/bin/ringmaster (another build, e.g. the code before a change; see bench/base.mjs),
 * interleaved in the same rounds, and a table of ratios ringmaster / ringmaster-base paired
 * by round.
 *
 * Needs `npx tsc -p .`. Writes bench/out/respawn-<time>.json. Every process it starts is
 * stopped by pid; the workers it SIGKILLs are children of managers it started.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE, isRingmaster, pairedRatios, ratioCell, resolveBase } from '../base.mjs';
import {
  OUT_DIR,
  checkPrereqs,
  childrenOf,
  freePort,
  httpGet,
  median,
  now,
  sleep,
  stamp,
  startServer,
  summary,
  table,
  tcpConnect,
  waitWorkers,
  within,
} from '../throughput/lib.mjs';

function parseArgs(argv) {
  const o = { starts: 15, rounds: 4, kills: 5, gapMs: 1500, loops: 2, paceMs: 5, probeMs: 3, only: ['startup', 'kill'], base: undefined };
  const keys = { '--starts': 'starts', '--rounds': 'rounds', '--kills': 'kills', '--gap-ms': 'gapMs', '--loops': 'loops', '--pace-ms': 'paceMs', '--probe-ms': 'probeMs' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value`);
    if (k === '--only') o.only = v.split(',');
    else if (k === '--base') o.base = v;
    else if (keys[k]) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`${k} takes an integer 1..1000`);
      o[keys[k]] = n;
    } else throw new Error(`unknown option ${k}`);
  }
  return o;
}

const log = (m) => process.stderr.write(`${m}\n`);
let current;

// ---- A. start-up ------------------------------------------------------------------------

async function startupOnce(kind, base) {
  const port = await freePort();
  const s = startServer(kind, { workers: 1, port, base });
  current = s;
  let spawnLogAt;
  s.onLine((t, line) => {
    if (spawnLogAt === undefined && /worker (started|forked)/.test(line)) spawnLogAt = t;
  });
  let connectAt;
  let serveAt;
  try {
    while (now() - s.startedAt < 15000) {
      const r = await httpGet(port, '/', 10000);
      if (r.connectedAt !== undefined && connectAt === undefined) connectAt = r.connectedAt;
      if (r.ok) {
        serveAt = r.doneAt;
        break;
      }
      await sleep(2);
    }
  } finally {
    const st = await s.stop();
    current = undefined;
    if (st.forced || st.leftAfter.length) log(`warning: ${kind} needed SIGKILL or left pids ${st.leftAfter.join(',')}`);
  }
  const rel = (t) => (t === undefined ? Number.NaN : t - s.startedAt);
  return { kind, connectMs: rel(connectAt), serveMs: rel(serveAt), workerSpawnLogMs: rel(spawnLogAt) };
}

// ---- B. SIGKILL -> replacement serving ---------------------------------------------------

/** Background client: H paced HTTP loops + a connect prober. Returns {stop(), http[], probes[], onResponse}. */
function hammer(port, o) {
  const state = { running: true, http: [], probes: [], listeners: new Set() };
  const loops = [];
  for (let i = 0; i < o.loops; i++) {
    loops.push(
      (async () => {
        while (state.running) {
          const t = now();
          const r = await httpGet(port, '/pid', 5000);
          const rec = { startedAt: r.startedAt, doneAt: r.doneAt, ok: r.ok, pid: r.ok ? Number(r.body) : undefined, code: r.code };
          state.http.push(rec);
          for (const l of state.listeners) l(rec);
          const wait = o.paceMs - (now() - t);
          if (wait > 0) await sleep(wait);
        }
      })(),
    );
  }
  let outstanding = 0;
  const probeTimer = setInterval(() => {
    if (outstanding > 100) return;
    outstanding++;
    const at = now();
    tcpConnect(port, 3000).then((r) => {
      outstanding--;
      state.probes.push({ at, ok: r.ok, code: r.code });
    });
  }, o.probeMs);
  return {
    state,
    onResponse: (fn) => state.listeners.add(fn),
    offResponse: (fn) => state.listeners.delete(fn),
    async stop() {
      state.running = false;
      clearInterval(probeTimer);
      await Promise.all(loops);
      const t0 = now();
      while (outstanding > 0 && now() - t0 < 4000) await sleep(10);
    },
  };
}

async function killBlock(kind, o, round, base) {
  const port = await freePort();
  const opts = { workers: 1, port, base };
  if (isRingmaster(kind)) opts.ringmasterExtra = ['backoff_reset: 1'];
  else opts.refork = true;
  const s = startServer(kind, opts);
  current = s;
  const spawnLines = []; // [time, pid]
  s.onLine((t, line) => {
    const m = line.match(/worker (?:started|forked)\b.*\bpid=(\d+)/);
    if (m) spawnLines.push([t, Number(m[1])]);
  });
  const kills = [];
  let h;
  try {
    const [first] = await waitWorkers(port, 1);
    let servingSince = now();
    let currentPid = first;
    h = hammer(port, o);
    for (let k = 0; k < o.kills; k++) {
      const wait = o.gapMs - (now() - servingSince);
      if (wait > 0) await sleep(wait);
      const victim = currentPid;
      if (!childrenOf(s.pid).includes(victim)) throw new Error(`${kind}: pid ${victim} is not a child of the manager ${s.pid}`);
      let resolveServe;
      const served = new Promise((r) => (resolveServe = r));
      const t0 = now();
      const listener = (rec) => {
        if (rec.ok && rec.pid !== victim && rec.doneAt > t0) resolveServe(rec);
      };
      h.onResponse(listener);
      process.kill(victim, 'SIGKILL');
      const rec = await within(served, 15000);
      h.offResponse(listener);
      if (!rec) {
        kills.push({ round, kind, victim, t0, failed: true });
        log(`${kind}: no replacement served within 15 s`);
        break;
      }
      const spawn = spawnLines.find(([t, pid]) => t >= t0 && pid !== victim);
      kills.push({ round, kind, victim, newPid: rec.pid, t0, t1: rec.doneAt, replaceMs: rec.doneAt - t0, reactionMs: spawn ? spawn[0] - t0 : Number.NaN });
      currentPid = rec.pid;
      servingSince = rec.doneAt;
    }
    await sleep(200);
  } finally {
    if (h) await h.stop();
    const st = await s.stop();
    current = undefined;
    if (st.forced || st.leftAfter.length) log(`warning: ${kind} needed SIGKILL or left pids ${st.leftAfter.join(',')}`);
  }
  // per-kill window accounting
  for (const k of kills) {
    if (k.failed) continue;
    const inWin = (t) => t >= k.t0 && t <= k.t1;
    const probes = h.state.probes.filter((p) => inWin(p.at));
    const https = h.state.http.filter((r) => inWin(r.startedAt));
    k.probes = probes.length;
    k.probesRefused = probes.filter((p) => p.code === 'ECONNREFUSED').length;
    k.probesOtherErr = probes.filter((p) => !p.ok && p.code !== 'ECONNREFUSED').length;
    k.httpAttempts = https.length;
    k.httpRefused = https.filter((r) => r.code === 'ECONNREFUSED').length;
    // requests the killed worker had accepted but not answered (they end shortly after t0)
    k.httpReset = h.state.http.filter((r) => !r.ok && r.code !== 'ECONNREFUSED' && r.doneAt >= k.t0 && r.doneAt <= k.t1 + 50).length;
  }
  const totals = {
    http: h.state.http.length,
    httpErrors: h.state.http.filter((r) => !r.ok).length,
    probes: h.state.probes.length,
    probeErrors: h.state.probes.filter((p) => !p.ok).length,
  };
  log(
    `round ${round + 1} ${kind.padEnd(12)} replace ms: ${kills.map((k) => (k.failed ? 'FAIL' : k.replaceMs.toFixed(0))).join(' ')}` +
      `  refused: ${kills.map((k) => (k.probesRefused ?? 0) + (k.httpRefused ?? 0)).join(' ')}`,
  );
  return { kills, totals };
}

// ---- main ---------------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  checkPrereqs();
  const base = o.base ? resolveBase(o.base) : undefined;
  const withBase = (kinds) => (base ? [kinds[0], BASE, ...kinds.slice(1)] : kinds);
  mkdirSync(OUT_DIR, { recursive: true });
  const started = new Date();
  const deadline = Date.now() + 20 * 60 * 1000;
  const onSignal = async () => {
    if (current) await current.stop(3000);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const out = { benchmark: 'respawn', started: started.toISOString(), options: o, base, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release(), node: process.version } };
  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
  const tables = [];
  const ratios = []; // [figure, summary of ringmaster / ringmaster-base], with --base

  if (o.only.includes('startup')) {
    const kinds = withBase(['ringmaster', 'cluster-rr', 'node']);
    const samples = [];
    for (let r = 0; r < o.starts; r++) {
      for (let i = 0; i < kinds.length; i++) {
        if (Date.now() > deadline) throw new Error('time bound reached');
        const kind = kinds[(i + r) % kinds.length];
        samples.push({ round: r, ...(await startupOnce(kind, base)) });
      }
      log(`start-up round ${r + 1}/${o.starts}: ${samples.slice(-kinds.length).map((x) => `${x.kind} ${f0(x.serveMs)} ms`).join(', ')}`);
    }
    const sum = {};
    for (const k of kinds) {
      const xs = samples.filter((x) => x.kind === k);
      sum[k] = { connectMs: summary(xs.map((x) => x.connectMs)), serveMs: summary(xs.map((x) => x.serveMs)), workerSpawnLogMs: summary(xs.map((x) => x.workerSpawnLogMs)) };
    }
    out.startup = { summary: sum, samples };
    if (base) {
      const [rm, rb] = ['ringmaster', BASE].map((k) => samples.filter((x) => x.kind === k));
      for (const [figure, f] of [
        ['start-up: spawn -> first HTTP response', 'serveMs'],
        ['start-up: spawn -> first TCP connect', 'connectMs'],
        ['start-up: spawn -> worker forked', 'workerSpawnLogMs'],
      ])
        ratios.push([figure, pairedRatios(rm, rb, (x) => x.round, (x) => x[f])]);
    }
    const label = { ringmaster: 'ringmaster -c (1 worker, shared fd)', [BASE]: `ringmaster-base -c (${base?.git ?? 'DIR'})`, 'cluster-rr': 'Node cluster primary + 1 worker', node: 'plain `node app.cjs`' };
    tables.push(
      table(
        ['server', 'spawn -> first TCP connect, median ms', 'spawn -> worker forked (log line), median ms', 'spawn -> first HTTP response, median ms', 'p10-p90 (serve)', 'n'],
        kinds.map((k) => [
          label[k],
          f0(sum[k].connectMs.median),
          k === 'node' ? 'n/a' : f0(sum[k].workerSpawnLogMs.median),
          `**${f0(sum[k].serveMs.median)}**`,
          `${f0(sum[k].serveMs.p10)}-${f0(sum[k].serveMs.p90)}`,
          String(sum[k].serveMs.n),
        ]),
      ),
    );
  }

  if (o.only.includes('kill')) {
    const kinds = withBase(['ringmaster', 'cluster-rr', 'cluster-none']);
    const kills = [];
    const totals = {};
    for (let r = 0; r < o.rounds; r++) {
      for (let i = 0; i < kinds.length; i++) {
        if (Date.now() > deadline) throw new Error('time bound reached');
        const kind = kinds[(i + r) % kinds.length];
        const b = await killBlock(kind, o, r, base);
        kills.push(...b.kills);
        totals[kind] ??= [];
        totals[kind].push(b.totals);
      }
    }
    const sum = {};
    for (const k of kinds) {
      const xs = kills.filter((x) => x.kind === k && !x.failed);
      const tot = (f) => xs.reduce((a, x) => a + (x[f] ?? 0), 0);
      sum[k] = {
        kills: xs.length,
        failed: kills.filter((x) => x.kind === k && x.failed).length,
        replaceMs: summary(xs.map((x) => x.replaceMs)),
        reactionMs: summary(xs.map((x) => x.reactionMs)),
        probes: tot('probes'),
        probesRefused: tot('probesRefused'),
        probesOtherErr: tot('probesOtherErr'),
        httpAttempts: tot('httpAttempts'),
        httpRefused: tot('httpRefused'),
        httpReset: tot('httpReset'),
      };
    }
    out.kill = { summary: sum, kills, totals };
    if (base) {
      // one pair per round: the medians of the two blocks of kills
      const block = (k, f) => [...new Set(kills.map((x) => x.round))].map((round) => ({ round, v: median(kills.filter((x) => x.kind === k && x.round === round && !x.failed).map((x) => x[f])) }));
      for (const [figure, f] of [
        ['kill: SIGKILL -> replacement serving (block medians)', 'replaceMs'],
        ['kill: SIGKILL -> new worker forked (block medians)', 'reactionMs'],
      ])
        ratios.push([figure, pairedRatios(block('ringmaster', f), block(BASE, f), (x) => x.round, (x) => x.v)]);
    }
    const label = { ringmaster: 'ringmaster (1 worker)', [BASE]: `ringmaster-base (${base?.git ?? 'DIR'}, 1 worker)`, 'cluster-rr': 'Node cluster RR, re-fork on exit', 'cluster-none': 'Node cluster SCHED_NONE, re-fork on exit' };
    tables.push(
      table(
        ['server', 'SIGKILL -> replacement serving, median ms', 'p10-p90', 'max', 'SIGKILL -> new worker forked, median ms', 'connects refused / attempted in the windows', 'HTTP refused / attempted', 'in-flight requests reset', 'kills'],
        kinds.map((k) => {
          const e = sum[k];
          return [
            label[k],
            `**${f0(e.replaceMs.median)}**`,
            `${f0(e.replaceMs.p10)}-${f0(e.replaceMs.p90)}`,
            f0(e.replaceMs.max),
            f1(e.reactionMs.median),
            `${e.probesRefused} / ${e.probes}`,
            `${e.httpRefused} / ${e.httpAttempts}`,
            String(e.httpReset),
            `${e.kills}${e.failed ? ` (+${e.failed} failed)` : ''}`,
          ];
        }),
      ),
    );
  }

  if (ratios.length) {
    out.ratiosOfBase = Object.fromEntries(ratios);
    tables.push(table(['ringmaster / ringmaster-base, paired by round', 'median (min-max)', 'pairs'], ratios.map(([figure, r]) => [figure, ratioCell(r), String(r.n)])));
  }
  out.finished = new Date().toISOString();
  const file = path.join(OUT_DIR, `respawn-${stamp()}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`\n${tables.join('\n\n')}\n\nraw: ${path.relative(process.cwd(), file)}\n`);
}

main().catch(async (e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  if (current) await current.stop(3000);
  process.exit(1);
});
