#!/usr/bin/env node
/**
 * Cost of one max_memory check with 64 workers: RSS from statm (what ringmaster reads),
 * VmRSS from status, PSS from smaps_rollup; and the CPU of a real init checking every 0.1 s.
 *
 *   node bench/memory-check/run.mjs [--workers 64] [--mib 32] [--checks 300] [--rounds 5]
 *        [--init-seconds 20] [--max-minutes 10]
 *
 * Part 1, in this process: W perl workers, each holding M MiB of touched memory and one
 * child (`sleep`, a descendant to find). A check = for each worker, its descendants from
 * /proc/PID/task/TID/children (sys/proc.ts descendantsOf) and one file per process:
 *   statm         /proc/PID/statm, field 2 (ringmaster: sys/memory.ts treeResidentBytes)
 *   status        /proc/PID/status, the VmRSS line
 *   smaps_rollup  /proc/PID/smaps_rollup, the Pss line
 *   statm, no descendants: the worker's own statm only (what the descendants add)
 * Each round runs C checks of each method, the order rotating from round to round; CPU =
 * process.cpuUsage() delta (user + system) / C. Figures: median over rounds (min-max).
 *
 * Part 2, a real init: ringmaster (not PID 1) with one watcher of W such workers,
 * memory_check_interval 0.1 s, max_memory 1Gi (never reached), then the same with
 * max_memory unset; the init's utime+stime from /proc/PID/stat over S seconds each. Per
 * check = (with - without) / (S / 0.1).
 *
 * Only pids we started are signalled; raw results go to bench/out/memory-check-<time>.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const argv = process.argv.slice(2);
const opt = (name, d) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : d;
};
const WORKERS = Number(opt('workers', 64));
const MIB = Number(opt('mib', 32));
const CHECKS = Number(opt('checks', 300));
const ROUNDS = Number(opt('rounds', 5));
const INIT_SECONDS = Number(opt('init-seconds', 20));
const MAX_MS = Number(opt('max-minutes', 10)) * 60_000;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const t0 = Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const loadavg = () => os.loadavg().map((x) => Number(x.toFixed(2)));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { descendantsOf } = await import(path.join(ROOT, 'dist/src/sys/proc.js'));
const { treeResidentBytes } = await import(path.join(ROOT, 'dist/src/sys/memory.js'));

// holds M MiB, touched, and one child that sleeps
const WORKER = `perl -e 'my $x = "x" x (${MIB} << 20); if (fork() == 0) { exec "sleep", "600" } sleep 600'`;

function read(p) {
  try {
    return readFileSync(p, 'latin1');
  } catch {
    return undefined;
  }
}
const field = (text, key) => {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text ?? '');
  return m ? Number(m[1]) * 1024 : 0;
};
const { readPidStatm } = await import(path.join(ROOT, 'dist/src/sys/procfs.js'));
const METHODS = {
  statm: (pid) => treeResidentBytes(pid) ?? 0,
  'statm, no descendants': (pid) => (readPidStatm(pid)?.residentPages ?? 0) * 4096,
  status: (pid) => [pid, ...descendantsOf(pid)].reduce((s, p) => s + field(read(`/proc/${p}/status`), 'VmRSS'), 0),
  smaps_rollup: (pid) => [pid, ...descendantsOf(pid)].reduce((s, p) => s + field(read(`/proc/${p}/smaps_rollup`), 'Pss'), 0),
};

function cpuMs(f) {
  const a = process.cpuUsage();
  f();
  const d = process.cpuUsage(a);
  return (d.user + d.system) / 1000;
}

function initTicks(pid) {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return undefined;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function part1() {
  const kids = [];
  for (let i = 0; i < WORKERS; i++) kids.push(spawn('sh', ['-c', `exec ${WORKER}`], { stdio: 'ignore' }));
  try {
    await sleep(1500);
    const pids = kids.map((k) => k.pid);
    const sums = Object.fromEntries(Object.keys(METHODS).map((m) => [m, METHODS[m](pids[0])]));
    const names = Object.keys(METHODS);
    const per = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < ROUNDS && Date.now() - t0 < MAX_MS; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const n of order) {
        const f = METHODS[n];
        const ms = cpuMs(() => {
          for (let c = 0; c < CHECKS; c++) for (const p of pids) f(p);
        });
        per[n].push(ms / CHECKS);
      }
    }
    return { oneWorkerBytes: sums, perCheckMs: per };
  } finally {
    for (const k of kids) {
      try {
        process.kill(-k.pid, 0);
      } catch {}
      // the worker and its child: the child is in our process group's tree, end it by its pid
      for (const d of descendantsOf(k.pid)) {
        try {
          process.kill(d, 'SIGKILL');
        } catch {}
      }
      k.kill('SIGKILL');
    }
  }
}

async function initRun(maxMemory) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rm-bench-mem-'));
  const cfg = path.join(dir, 'r.yaml');
  writeFileSync(
    cfg,
    `watchers:\n  w:\n    cmd: ${JSON.stringify(WORKER)}\n    numprocesses: ${WORKERS}\n${maxMemory ? '    max_memory: 1Gi\n    memory_check_interval: 0.1\n' : ''}`,
  );
  const env = { ...process.env, RINGMASTER_CONTROL_SOCKET: path.join(dir, 'ctl.sock') };
  const rm = spawn(process.execPath, [path.join(ROOT, 'bin/ringmaster'), '-c', cfg], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  rm.stderr.on('data', (d) => (err += d));
  try {
    for (let i = 0; i < 200 && !err.includes('all watchers started'); i++) await sleep(50);
    await sleep(2000);
    const a = initTicks(rm.pid);
    await sleep(INIT_SECONDS * 1000);
    const b = initTicks(rm.pid);
    return ((b - a) / CLK_TCK) * 1000;
  } finally {
    rm.kill('SIGTERM');
    await new Promise((r) => rm.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const load0 = loadavg();
const p1 = await part1();
const rows = Object.entries(p1.perCheckMs).map(([n, xs]) => `| ${n} | ${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}) | ${(median(xs) / WORKERS * 1000).toFixed(1)} | ${(p1.oneWorkerBytes[n] / 2 ** 20).toFixed(1)} |`);
console.log(`workers ${WORKERS} x ${MIB} MiB + 1 child each, ${CHECKS} checks x ${ROUNDS} rounds, load ${load0.join(' ')}`);
console.log('| method | CPU per check of all workers, ms | per worker, us | one worker + child, MiB |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(r);
const init = [];
for (let r = 0; r < 2 && Date.now() - t0 < MAX_MS; r++) {
  const on = await initRun(true);
  const off = await initRun(false);
  init.push({ on, off, perCheckMs: (on - off) / (INIT_SECONDS / 0.1) });
  console.log(`init CPU over ${INIT_SECONDS} s: checking every 0.1 s ${on.toFixed(0)} ms, max_memory unset ${off.toFixed(0)} ms -> ${((on - off) / (INIT_SECONDS / 0.1)).toFixed(3)} ms per check`);
}
mkdirSync(OUT_DIR, { recursive: true });
const out = path.join(OUT_DIR, `memory-check-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ workers: WORKERS, mib: MIB, checks: CHECKS, rounds: ROUNDS, load: [load0, loadavg()], part1: p1, init }, null, 2));
console.log(`load at end ${loadavg().join(' ')}; raw: ${out}`);
