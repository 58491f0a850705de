#!/usr/bin/env node
/**
 * PID-1 benchmark: ringmaster next to tini, dumb-init and a bare `node -e` baseline, each
 * as PID 1 of its own PID namespace (`unshare --pid --fork --mount-proc`), inits
 * interleaved run by run (the order rotates every run) so that noise hits all alike.
 *
 *   node bench/pid1/run.mjs [--runs N] [--rss-runs N] [--reap-runs N] [--latency-runs N]
 *                           [--only rss,reap,latency] [--orphans N] [--generator c|node]
 *                           [--no-control] [--max-minutes M]
 *                           [--settle-ms MS]
 *
 * Needs root (unshare --pid), `cc` for the C helpers (falls back to fixtures/orphans.mjs
 * and a Node receiver without one), ringmaster built (`npx tsc -p .`), and tini/dumb-init
 * on PATH (an init that is missing is skipped). Prints a table; writes the raw samples
 * and summaries to bench/out/pid1-<time>.json (bench/out/ is git-ignored).
 *
 * Figures (method in BENCHMARKS.md, "PID 1"):
 *   rss      VmRSS/VmHWM of the init with an idle `sleep` child, sampled 1 s after start
 *   reap     ms until N orphans re-parented to PID 1 are reaped: "storm" (alive, all exit
 *            at once) and "dead" (zombies already), timed by the generator inside
 *   latency  SIGTERM sent to the init's host pid -> the child's handler runs
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, readdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendantsOf, killAll, strays } from './harness.mjs';
import { sampleLatency, sampleReap, sampleRss } from './measure.mjs';
import { printReport, summarize } from './report.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const OUT_DIR = path.join(ROOT, 'bench', 'out');
const BIN_DIR = path.join(OUT_DIR, 'bin');
const RINGMASTER = path.join(ROOT, 'bin', 'ringmaster');
const NODE = process.execPath;

// ---- options -------------------------------------------------------------------------

function parseOptions(argv) {
  const o = {
    rssRuns: 7,
    reapRuns: 11,
    latencyRuns: 50,
    only: new Set(['rss', 'reap', 'latency']),
    orphans: 2000,
    generator: undefined,
    control: true,
    maxMinutes: 30,
    settleMs: 50,
  };
  const int = (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} takes an integer >= 1, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--runs': {
        const n = int(a, next());
        o.rssRuns = o.reapRuns = o.latencyRuns = n;
        break;
      }
      case '--rss-runs': o.rssRuns = int(a, next()); break;
      case '--reap-runs': o.reapRuns = int(a, next()); break;
      case '--latency-runs': o.latencyRuns = int(a, next()); break;
      case '--orphans': o.orphans = int(a, next()); break;
      case '--max-minutes': o.maxMinutes = int(a, next()); break;
      case '--settle-ms': o.settleMs = int(a, next()); break;
      case '--no-control': o.control = false; break;
      case '--generator': {
        const g = next();
        if (g !== 'c' && g !== 'node') throw new Error(`--generator takes "c" or "node", got "${g}"`);
        o.generator = g;
        break;
      }
      case '--only': {
        const parts = next().split(',');
        for (const p of parts) if (!['rss', 'reap', 'latency'].includes(p)) throw new Error(`--only takes rss,reap,latency, got "${p}"`);
        o.only = new Set(parts);
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write(`usage: node bench/pid1/run.mjs [--runs N] [--rss-runs N] [--reap-runs N] [--latency-runs N]\n` +
          `       [--only rss,reap,latency] [--orphans N] [--generator c|node] [--no-control] [--max-minutes M] [--settle-ms MS]\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option "${a}" (see --help)`);
    }
  }
  return o;
}

// ---- setup ---------------------------------------------------------------------------

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim(), error: r.error };
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v "$1"`, 'sh', cmd], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Compile the C helpers into bench/out/bin. Returns false when there is no compiler. */
function compileHelpers() {
  if (!which('cc')) return false;
  mkdirSync(BIN_DIR, { recursive: true });
  for (const name of ['zgen', 'sigrecv', 'monoclock']) {
    const r = run('cc', ['-O2', '-Wall', '-Wextra', '-o', path.join(BIN_DIR, name), path.join(HERE, `${name}.c`)]);
    if (!r.ok) throw new Error(`cc ${name}.c failed:\n${r.out}`);
  }
  return true;
}

/**
 * process.hrtime.bigint() must read the clock sigrecv reads (CLOCK_MONOTONIC): bracket
 * monoclock's reading between two of ours, five times.
 */
function checkClock() {
  const checks = [];
  for (let i = 0; i < 5; i++) {
    const a = process.hrtime.bigint();
    const r = spawnSync(path.join(BIN_DIR, 'monoclock'), { encoding: 'utf8' });
    const b = process.hrtime.bigint();
    const m = BigInt(r.stdout.trim());
    checks.push(a <= m && m <= b);
  }
  return checks.every(Boolean);
}

/** Warn when a TypeScript source is newer than the compiled entry point. */
function staleBuild() {
  const main = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) return 'ringmaster is not built: run `npx tsc -p .` first';
  const built = statSync(main).mtimeMs;
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
  const newer = walk(path.join(ROOT, 'src')).filter((f) => statSync(f).mtimeMs > built);
  return newer.length > 0 ? `dist/ may be stale: ${newer.length} file(s) in src/ are newer than dist/src/cli/main.js` : undefined;
}

function machine() {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const git = run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']);
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    tini: which('tini') ? run('tini', ['--version']).out : null,
    dumbInit: which('dumb-init') ? run('dumb-init', ['--version']).out : null,
    ringmaster: `${pkg.version} (${git.ok ? git.out : 'no git'}${dirty.ok && dirty.out ? ', src/ has uncommitted changes' : ''})`,
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// ---- the inits -----------------------------------------------------------------------

function inits() {
  const list = [];
  if (which('tini')) list.push({ name: 'tini', argv: (c) => ['tini', '--', ...c] });
  if (which('dumb-init')) list.push({ name: 'dumb-init', argv: (c) => ['dumb-init', '--', ...c] });
  list.push({ name: 'ringmaster', argv: (c) => [NODE, RINGMASTER, '--', ...c] });
  return list;
}

/** Baseline for RSS: a bare Node process doing nothing (no child; SIGTERM is ignored by a Node PID 1). */
const bareNode = { name: 'node -e', argv: () => [NODE, '-e', 'setTimeout(()=>{},30000)'], stopSignal: 'SIGKILL' };
/** Reference for RSS and latency: the smallest Node forwarder (spawn + process.on -> kill). */
const nodeFwd = { name: 'node forwarder', argv: (c) => [NODE, path.join(HERE, 'node-fwd.cjs'), ...c] };
/** Baseline for latency: the receiver is PID 1 itself. */
const none = { name: 'none (receiver is PID 1)', argv: (c) => c };
/** Negative control for reaping: a Node parent that only spawns the child. It must reap nothing. */
const nodeSpawnOnly = {
  name: 'node spawn (control)',
  argv: (c) => [NODE, '-e',
    "const c=require('child_process').spawn(process.argv[1],process.argv.slice(2),{stdio:'inherit'});c.on('exit',(x)=>process.exit(x??1))",
    ...c],
};

const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

// ---- main ----------------------------------------------------------------------------

async function main() {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('needs root: unshare --pid creates a PID namespace');
  const stale = staleBuild();
  if (stale?.startsWith('ringmaster is not built')) throw new Error(stale);
  const warnings = [];
  if (stale) warnings.push(stale);
  if (o.rssRuns < 7 || o.reapRuns < 11 || o.latencyRuns < 50) {
    warnings.push(`fewer runs than the method asks (rss >= 7, reap >= 11, latency >= 50): ${o.rssRuns}/${o.reapRuns}/${o.latencyRuns}`);
  }
  const haveCc = o.generator !== 'node' && compileHelpers();
  if (o.generator === 'c' && !haveCc) throw new Error('--generator c: no cc on PATH');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ringmaster-pid1-'));
  const meta = { ...machine(), generator: haveCc ? 'zgen (C)' : 'fixtures/orphans.mjs (Node)', receiver: haveCc ? 'sigrecv (C)' : 'Node receiver' };

  let receiver;
  if (haveCc) {
    meta.clockCheck = checkClock();
    if (!meta.clockCheck) warnings.push('process.hrtime.bigint() is not CLOCK_MONOTONIC here: latency figures are invalid');
    receiver = (out, ms) => [path.join(BIN_DIR, 'sigrecv'), out, String(ms)];
  } else {
    // Same clock on both ends (process.hrtime.bigint), but Node's handler runs on the event
    // loop: every init gets the same extra delay, so compare ratios, not absolute times.
    const recv = path.join(tmp, 'recv.cjs');
    writeFileSync(recv, "const fs=require('fs');const o=process.argv[2];process.on('SIGTERM',()=>{const t=process.hrtime.bigint();" +
      "fs.writeFileSync(o+'.tmp',t+'\\n');fs.renameSync(o+'.tmp',o);process.exit(0)});fs.writeFileSync(o+'.ready','ready\\n');" +
      'setTimeout(()=>process.exit(1),Number(process.argv[3]));\n');
    receiver = (out, ms) => [NODE, recv, out, String(ms)];
    warnings.push((o.generator === 'node' ? '--generator node' : 'no cc') + ': reaping uses fixtures/orphans.mjs and latency a Node receiver (absolute times not comparable with C figures)');
  }
  const generator = haveCc
    ? (n, mode, ms) => [path.join(BIN_DIR, 'zgen'), String(n), mode, String(ms)]
    : (n, mode, ms) => [NODE, path.join(ROOT, 'fixtures', 'orphans.mjs'), String(n), mode, String(ms)];

  const deadline = Date.now() + o.maxMinutes * 60000;
  const overTime = () => {
    if (Date.now() < deadline) return false;
    warnings.push(`stopped early: --max-minutes ${o.maxMinutes} reached`);
    return true;
  };
  const problems = [];
  const note = (section, init, runIndex, what, detail) => problems.push({ section, init, run: runIndex, what, detail });
  const samples = { rss: {}, reap: { storm: {}, dead: {} }, latency: {} };
  const record = (table, name, runIndex, value) => {
    table[name] ??= [];
    table[name][runIndex] = value;
  };
  const progress = (s) => process.stderr.write(s);
  /** One sample; a failure (init never started, generator printed nothing) is a problem, not the end of the run. */
  const attempt = async (section, init, r, fn) => {
    try {
      return await fn();
    } catch (err) {
      note(section, init.name, r, 'sample failed', err.message);
      return undefined;
    }
  };
  const base = inits();

  process.on('SIGINT', () => killAll().then(() => process.exit(130)));
  process.on('SIGTERM', () => killAll().then(() => process.exit(143)));

  try {
    if (o.only.has('rss')) {
      progress(`rss: ${o.rssRuns} runs x ${base.length + 2} `);
      const list = [...base, nodeFwd, bareNode];
      for (let r = 0; r < o.rssRuns && !overTime(); r++) {
        for (const init of rotate(list, r)) {
          const s = await attempt('rss', init, r, () => sampleRss(init, { idleChild: ['sleep', '30'] }));
          if (!s) continue;
          record(samples.rss, init.name, r, s);
          if (init !== bareNode && s.children !== 1) note('rss', init.name, r, 'idle child not running', s);
          if (init !== bareNode && (s.exit.forced || s.exit.code !== 143)) note('rss', init.name, r, 'unexpected exit on SIGTERM (want 143)', s.exit);
        }
        progress('.');
      }
      progress('\n');
    }

    if (o.only.has('reap')) {
      const list = o.control ? [...base, nodeSpawnOnly] : base;
      progress(`reap: ${o.reapRuns} runs x ${base.length} x storm/dead (${o.orphans} orphans) `);
      for (let r = 0; r < o.reapRuns && !overTime(); r++) {
        for (const mode of ['storm', 'dead']) {
          for (const init of rotate(list, r)) {
            // The control reaps nothing by design: one run with a short timeout says so.
            if (init === nodeSpawnOnly && r > 0) continue;
            const timeoutMs = init === nodeSpawnOnly ? 2000 : 10000;
            const s = await attempt('reap', init, r, () => sampleReap(init, { n: o.orphans, mode, timeoutMs, generator }));
            if (!s) continue;
            record(samples.reap[mode], init.name, r, s);
            if (init === nodeSpawnOnly) continue;
            if (s.remaining !== 0) note('reap', init.name, r, `${mode}: ${s.remaining} orphans not reaped`, s);
            if (s.remainingAnyThread > 0) note('reap', init.name, r, `${mode}: ${s.remainingAnyThread} children left on some thread of PID 1`, s);
            if (mode === 'storm' && s.handed !== undefined && s.handed !== o.orphans) note('reap', init.name, r, `storm: only ${s.handed} orphans handed over`, s);
            if (s.exit.forced || s.exit.code !== 0) note('reap', init.name, r, `${mode}: unexpected exit (want 0)`, s.exit);
          }
        }
        progress('.');
      }
      progress('\n');
    }

    if (o.only.has('latency')) {
      const list = [none, ...base, nodeFwd];
      progress(`latency: ${o.latencyRuns} runs x ${list.length} `);
      for (let r = 0; r < o.latencyRuns && !overTime(); r++) {
        for (const init of rotate(list, r)) {
          const s = await attempt('latency', init, r, () => sampleLatency(init, { receiver, outPath: path.join(tmp, 'recv'), settleMs: o.settleMs }));
          if (!s) continue;
          record(samples.latency, init.name, r, s);
          if (s.lost) note('latency', init.name, r, 'SIGTERM never reached the child', s);
          else if (s.exit.forced || s.exit.code !== 0) note('latency', init.name, r, 'unexpected exit (want 0)', s.exit);
          else if (s.us < 0) note('latency', init.name, r, 'negative latency: clocks differ', s);
        }
        if (r % 10 === 9) progress('.');
      }
      progress('\n');
    }
  } finally {
    await killAll();
    rmSync(tmp, { recursive: true, force: true });
  }

  meta.loadavgEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const leftovers = [...descendantsOf(process.pid), ...strays([BIN_DIR, tmp, 'ringmaster-pid1-'])];
  if (leftovers.length > 0) warnings.push(`processes left behind: ${JSON.stringify(leftovers)}`);

  const summary = summarize(samples, { reference: 'tini', bareNode: bareNode.name, subject: 'ringmaster' });
  const result = { meta, options: { ...o, only: [...o.only] }, summary, problems, warnings, leftovers, samples };
  printReport(result);
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `pid1-${meta.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nraw samples and summary: ${path.relative(process.cwd(), file)}\n`);
}

main().then(
  () => process.exit(0),
  async (err) => {
    await killAll();
    process.stderr.write(`pid1 bench: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
