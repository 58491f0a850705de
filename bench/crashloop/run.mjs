#!/usr/bin/env node
/**
 * The init's memory in a crash loop: one watcher whose worker (`/bin/true`) exits at once,
 * respawned at once for ever (max_retry -1, backoff_initial 0, backoff_max 0), so 10 000
 * restarts take a minute or two instead of hours. The init is PID 1 of its own PID namespace
 * (`unshare --pid --fork --mount-proc`); restarts are counted from its own log lines ("worker
 * started"), so nothing is added to it to count them.
 *
 * At each mark (restarts: 0, 1 000, 5 000, 10 000 by default) it reads, from outside:
 *   /proc/PID/status        VmRSS, VmHWM (the peak RSS so far), RssAnon, RssFile
 *   /proc/PID/smaps_rollup  Pss, Pss_Anon, Pss_File (the node binary's and libraries' pages
 *                           are shared with every Node process: PSS charges the init its share)
 *   /proc/PID/stat          utime + stime, for the CPU per restart between marks
 * and, through a measurement hook loaded with `--require` (NODE_OPTIONS; it polls a directory
 * every 100 ms for a request file and answers with process.memoryUsage() and
 * v8.getHeapSpaceStatistics()), the V8 heap: used and committed, by space.
 *
 *   node bench/crashloop/run.mjs [--restarts 10000] [--marks 0,1000,5000,10000]
 *        [--runs 1] [--base DIR] [--v8-flags "--max-semi-space-size=1"]
 *        [--runtime-v8-flags "--optimize-for-size"] [--also-v8-flags "--optimize-for-size"]
 *        [--snapshots] [--delay S] [--http] [--parallel]
 *
 * --base DIR   also run DIR/bin/ringmaster (another build, see bench/base.mjs); the builds
 *              run one after the other, the order alternating from run to run.
 * --v8-flags   V8 flags for the init, on node's command line (as bin/ringmaster would give
 *              them: `exec node FLAGS "$0"`), for both builds.
 * --also-v8-flags  adds a case: this tree's build again, with these V8 flags on node's command
 *              line (e.g. the build with a flag, the build without and --base, in one run).
 * --runtime-v8-flags  V8 flags the hook sets with v8.setFlagsFromString() as the init starts
 *              (before its own modules load), to see whether a flag works when set at run time.
 * --snapshots  write a heap snapshot at each mark (after a full GC) into bench/out/, to
 *              compare in DevTools (Comparison view); slows the marks down.
 * --parallel   run the cases of a run at the same time instead of one after the other (the
 *              same load for all of them, in a third of the time, with as many cores busy).
 * --http       the config has http_port (metrics and probes loaded) and /metrics is scraped
 *              every 500 restarts, so the metrics' per-watcher state is part of what is measured.
 * --delay S    backoff_initial = backoff_max = S seconds between restarts (default 0).
 *
 * Prints a Markdown table per build and writes bench/out/crashloop-<time>.json. Needs root
 * (unshare --pid). Only the pids it started are signalled.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseArg, resolveBase } from '../base.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const NODE = process.execPath;
const CLK_TCK = 100;
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const RESTARTS = Number(opt('restarts', 10_000));
const MARKS = String(opt('marks', '0,1000,5000,10000'))
  .split(',')
  .map(Number)
  .filter((n) => n <= RESTARTS);
const RUNS = Number(opt('runs', 1));
const V8_FLAGS = opt('v8-flags', '');
const RUNTIME_FLAGS = opt('runtime-v8-flags', '');
const SNAPSHOTS = argv.includes('--snapshots');
const DELAY = Number(opt('delay', 0));
const HTTP = argv.includes('--http');
const PARALLEL = argv.includes('--parallel');
const baseDir = baseArg(argv);
const base = baseDir === undefined ? undefined : resolveBase(baseDir);

const ALSO_FLAGS = opt('also-v8-flags', '');
const BUILDS = [{ name: 'ringmaster', bin: path.join(ROOT, 'bin', 'ringmaster'), flags: V8_FLAGS }];
if (ALSO_FLAGS) BUILDS.push({ name: `ringmaster, node ${ALSO_FLAGS}`, bin: BUILDS[0].bin, flags: ALSO_FLAGS });
if (base) BUILDS.push({ name: `ringmaster-base (${base.git ?? base.dir})`, bin: base.bin, flags: V8_FLAGS });

const dir = mkdtempSync(path.join(tmpdir(), 'rm-bench-crashloop-'));
const hook = path.join(dir, 'hook.cjs');
writeFileSync(
  hook,
  `// Measurement hook of bench/crashloop: answers req-TAG files in RM_MEMHOOK_DIR with resp-TAG.json.
const fs = require('fs'), v8 = require('v8'), path = require('path');
const dir = process.env.RM_MEMHOOK_DIR;
if (dir && process.pid === 1) {
  if (process.env.RM_MEMHOOK_FLAGS) v8.setFlagsFromString(process.env.RM_MEMHOOK_FLAGS);
  setInterval(() => {
    let names;
    try { names = fs.readdirSync(dir).filter((n) => n.startsWith('req-')); } catch { return; }
    for (const n of names) {
      const tag = n.slice(4);
      fs.rmSync(path.join(dir, n), { force: true });
      const out = {};
      if (tag.includes('snap')) out.snapshot = v8.writeHeapSnapshot(path.join(dir, tag + '.heapsnapshot'));
      Object.assign(out, { mem: process.memoryUsage(), spaces: v8.getHeapSpaceStatistics() });
      fs.writeFileSync(path.join(dir, 'resp-' + tag + '.json.tmp'), JSON.stringify(out));
      fs.renameSync(path.join(dir, 'resp-' + tag + '.json.tmp'), path.join(dir, 'resp-' + tag + '.json'));
    }
  }, 100).unref();
}
`,
);
const config = path.join(dir, 'crash.yaml');
writeFileSync(
  config,
  `${HTTP ? 'ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\n' : ''}watchers:\n  crash:\n    cmd: /bin/true\n    max_retry: -1\n    backoff_initial: ${DELAY}\n    backoff_max: ${DELAY}\n    backoff_multiplier: 1\n    backoff_jitter: 0\n    backoff_reset: 0\n`,
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kb = (s) => Number.parseInt(s ?? '0', 10) / 1024; // kB -> MB
function fields(file) {
  const m = {};
  for (const l of readFileSync(file, 'latin1').split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) m[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return m;
}
function cpuSeconds(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}
const children = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** Ask the hook of the init that watches `hookDir` for its heap figures. */
async function ask(hookDir, tag) {
  const resp = path.join(hookDir, `resp-${tag}.json`);
  writeFileSync(path.join(hookDir, `req-${tag}`), '');
  for (let i = 0; i < 600; i++) {
    if (existsSync(resp)) {
      const out = JSON.parse(readFileSync(resp, 'utf8'));
      rmSync(resp);
      return out;
    }
    await sleep(50);
  }
  throw new Error(`the init's measurement hook did not answer ${tag}`);
}

function sampleProc(pid) {
  const st = fields(`/proc/${pid}/status`);
  const sm = fields(`/proc/${pid}/smaps_rollup`);
  return {
    rss: kb(st.VmRSS),
    hwm: kb(st.VmHWM),
    anon: kb(st.RssAnon),
    file: kb(st.RssFile),
    pss: kb(sm.Pss),
    pssAnon: kb(sm.Pss_Anon),
    pssFile: kb(sm.Pss_File),
    cpu: cpuSeconds(pid),
  };
}

async function runOne(build, run) {
  // one directory per init: with --parallel, each hook must answer only its own requests
  const hookDir = path.join(dir, `hook-${run}-${BUILDS.indexOf(build)}`);
  mkdirSync(hookDir);
  const env = {
    ...process.env,
    RINGMASTER_CONTROL_SOCKET: path.join(dir, `ctl-${run}-${BUILDS.indexOf(build)}.sock`),
    RM_MEMHOOK_DIR: hookDir,
    RM_MEMHOOK_FLAGS: RUNTIME_FLAGS,
    NODE_OPTIONS: [process.env.NODE_OPTIONS ?? '', `--require ${hook}`].join(' ').trim(),
  };
  const flags = build.flags.split(' ').filter(Boolean);
  const p = spawn('unshare', ['--pid', '--fork', '--mount-proc', NODE, ...flags, build.bin, '-c', config], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let restarts = -1; // the first start is not a restart
  let tail = '';
  let waiter;
  let url;
  let scrapes = 0;
  p.stderr.setEncoding('utf8');
  p.stderr.on('data', (d) => {
    const lines = (tail + d).split('\n');
    tail = lines.pop();
    for (const l of lines) {
      if (l.includes('worker started')) restarts++;
      url ??= /http endpoint listening url=(\S+)/.exec(l)?.[1];
    }
    if (url && restarts >= scrapes * 500) {
      scrapes++;
      fetch(`${url}/metrics`).then((r) => r.text(), () => {});
    }
    if (waiter && restarts >= waiter.n) waiter.resolve();
  });
  const reach = (n) => (restarts >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve })));
  let init;
  for (let i = 0; i < 500 && init === undefined; i++) {
    await sleep(10);
    init = children(p.pid)[0];
  }
  if (init === undefined) throw new Error('the init did not start');
  const t0 = Date.now();
  const marks = [];
  for (const m of MARKS) {
    await reach(m);
    const tag = `${run}-${BUILDS.indexOf(build)}-${m}${SNAPSHOTS ? '-snap' : ''}`;
    const proc = sampleProc(init);
    const v8 = await ask(hookDir, tag);
    const at = restarts;
    if (v8.snapshot) {
      mkdirSync(OUT_DIR, { recursive: true });
      const dest = path.join(OUT_DIR, `crashloop-${build.name.replace(/[^\w-]+/g, '_')}-${tag}.heapsnapshot`);
      renameSync(v8.snapshot, dest);
      v8.snapshot = dest;
    }
    const space = (n) => v8.spaces.find((s) => s.space_name === n);
    marks.push({
      mark: m,
      restarts: at,
      seconds: (Date.now() - t0) / 1000,
      ...proc,
      heapUsed: v8.mem.heapUsed / 2 ** 20,
      heapTotal: v8.mem.heapTotal / 2 ** 20,
      external: v8.mem.external / 2 ** 20,
      arrayBuffers: v8.mem.arrayBuffers / 2 ** 20,
      newSpace: (space('new_space')?.space_size ?? 0) / 2 ** 20,
      oldSpace: (space('old_space')?.space_size ?? 0) / 2 ** 20,
      oldUsed: (space('old_space')?.space_used_size ?? 0) / 2 ** 20,
      snapshot: v8.snapshot,
    });
    process.stderr.write(`${new Date().toISOString()} ${build.name} run ${run}: ${m} restarts, rss ${proc.rss.toFixed(1)} MB\n`);
  }
  const exited = new Promise((r) => p.once('exit', r));
  process.kill(init, 'SIGTERM');
  const t = setTimeout(() => {
    try {
      process.kill(init, 'SIGKILL');
    } catch {}
  }, 30_000);
  await exited;
  clearTimeout(t);
  return marks;
}

const f1 = (x) => x.toFixed(1);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The Markdown table of one build's runs (medians over runs, MB). */
function table(name, runs) {
  const lines = [
    `## ${name} (${runs.length} run(s), medians; MB)`,
    '',
    '| restarts | s | VmRSS | VmHWM | RssAnon | RssFile | PSS | Pss_Anon | heap used | heap total | new space | old space (used) | external | CPU ms / restart since last mark |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  MARKS.forEach((m, i) => {
    const at = (k) => med(runs.map((r) => r[i][k]));
    const cpu =
      i === 0 ? '-' : ((med(runs.map((r) => (r[i].cpu - r[i - 1].cpu) / Math.max(1, r[i].restarts - r[i - 1].restarts))) * 1000).toFixed(2));
    lines.push(
      `| ${m} | ${f1(at('seconds'))} | ${f1(at('rss'))} | ${f1(at('hwm'))} | ${f1(at('anon'))} | ${f1(at('file'))} | ${f1(at('pss'))} | ${f1(at('pssAnon'))} | ${f1(at('heapUsed'))} | ${f1(at('heapTotal'))} | ${f1(at('newSpace'))} | ${f1(at('oldSpace'))} (${f1(at('oldUsed'))}) | ${f1(at('external'))} | ${cpu} |`,
    );
  });
  const last = MARKS.length - 1;
  if (last > 0) {
    const grow = (k) => med(runs.map((r) => r[last][k] - r[0][k]));
    lines.push('', `${name}: ${MARKS[last]} restarts add ${f1(grow('rss'))} MB VmRSS (peak ${f1(med(runs.map((r) => r[last].hwm - r[0].rss)))} MB above the start), ${f1(grow('pss'))} MB PSS, ${f1(grow('heapTotal'))} MB heap total`);
  }
  return lines.join('\n');
}

// Written after every case, so that a run cut short keeps what it measured.
mkdirSync(OUT_DIR, { recursive: true });
const out = path.join(OUT_DIR, `crashloop-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const results = Object.fromEntries(BUILDS.map((b) => [b.name, []]));
for (let run = 0; run < RUNS; run++) {
  const order = BUILDS.map((_, i) => BUILDS[(i + run) % BUILDS.length]);
  const one = async (b) => {
    results[b.name].push(await runOne(b, run));
    writeFileSync(out, JSON.stringify({ node: process.version, runs: RUNS, delay: DELAY, v8Flags: V8_FLAGS, runtimeV8Flags: RUNTIME_FLAGS, parallel: PARALLEL, marks: MARKS, results }, null, 2));
    process.stderr.write(`${table(`${b.name}, run ${run}`, [results[b.name].at(-1)])}\n\n`);
  };
  if (PARALLEL) await Promise.all(order.map(one));
  else for (const b of order) await one(b);
}
rmSync(dir, { recursive: true, force: true });

console.log(
  [
    `# Init memory in a crash loop, ${new Date().toISOString()}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}, ${RUNS} run(s)${PARALLEL ? ' (cases in parallel)' : ''}, delay ${DELAY} s${V8_FLAGS ? `, V8 flags ${V8_FLAGS}` : ''}${RUNTIME_FLAGS ? `, V8 flags set at run time ${RUNTIME_FLAGS}` : ''}`,
    ...BUILDS.map((b) => `\n${table(b.name, results[b.name])}`),
    `\nraw samples: ${out}`,
  ].join('\n'),
);
