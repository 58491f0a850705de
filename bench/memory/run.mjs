#!/usr/bin/env node
/**
 * Memory of the init by mode: what each mode loads is what it costs. One run measures, in
 * rotating order, a bare `node` and ringmaster in command mode, with an INI config, a YAML
 * config, a YAML config with http_port (the metrics library and HTTP server loaded, one
 * scrape made), and that with 8 workers. Each is PID 1 of its own PID namespace
 * (`unshare --pid --fork --mount-proc`), left idle for --settle-ms, then VmRSS, RssAnon and
 * RssFile are read from /proc and it is stopped with SIGTERM (bare node, which ignores it as
 * PID 1, with SIGKILL). Workers are `sleep`, so only the init is measured.
 *
 * PSS (Pss, Pss_Anon, Pss_File from /proc/PID/smaps_rollup) is given next to RSS: a page
 * mapped by N processes counts 1/N in each, so the node binary's text (~40 MB of RssFile)
 * counts in full in a lone init but shrinks with every other Node process of the machine
 * mapping the same binary (Node workers in the container, this driver itself). RSS is what
 * one init costs alone; PSS, what it adds beside what is already there. The driver runs on
 * the same node binary, so PSS here is at most about half of RssFile.
 *
 *   node bench/memory/run.mjs [--runs 5] [--settle-ms 1500] [--v8-flags "--optimize-for-size"]
 *
 * --v8-flags adds the ringmaster cases again with these flags on node's command line (as
 * bin/ringmaster would give them), side by side in the same runs.
 *
 * Prints a Markdown table (medians, and the ratios to bare node within each run) and writes
 * the samples to bench/out/memory-<time>.json. Needs root (unshare --pid).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairedRatios, summary } from '../pid1/stats.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ringmaster');
const NODE = process.execPath;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt('runs', 5);
const SETTLE = opt('settle-ms', 1500);
const fi = args.indexOf('--v8-flags');
const V8_FLAGS = fi >= 0 ? (args[fi + 1] ?? '').split(' ').filter(Boolean) : [];

const dir = mkdtempSync(join(tmpdir(), 'rm-bench-mem-'));
const ini = join(dir, 'c.ini');
writeFileSync(ini, '[watcher:w]\ncmd = sleep 600\n');
const yaml = join(dir, 'c.yaml');
writeFileSync(yaml, 'watchers:\n  w:\n    cmd: sleep 600\n');
const http = join(dir, 'h.yaml');
writeFileSync(http, 'ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\nwatchers:\n  w:\n    cmd: sleep 600\n');
const http8 = join(dir, 'h8.yaml');
writeFileSync(http8, 'ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\nsockets:\n  web:\n    host: 127.0.0.1\n    port: 0\nwatchers:\n  w:\n    cmd: sleep 600\n    numprocesses: 8\n    use_sockets: true\n');

const CASES = [
  { name: 'bare node', argv: [NODE, '-e', 'setInterval(() => {}, 1 << 30)'], kill: 'SIGKILL' },
  { name: 'command mode', argv: [BIN, '--', 'sleep', '600'] },
  { name: 'INI config, no http_port', argv: [BIN, '-c', ini] },
  { name: 'YAML config, no http_port', argv: [BIN, '-c', yaml] },
  { name: 'YAML + http_port (1 scrape)', argv: [BIN, '-c', http], scrape: true },
  { name: 'YAML + http_port, 8 workers, socket', argv: [BIN, '-c', http8], scrape: true },
];
if (V8_FLAGS.length > 0) {
  for (const c of CASES.filter((c) => c.argv[1] === BIN)) {
    CASES.push({ ...c, name: `${c.name}, node ${V8_FLAGS.join(' ')}`, argv: [NODE, ...V8_FLAGS, ...c.argv.slice(1)] });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
/** The `Key: value` lines of /proc/PID/FILE (status, smaps_rollup) as an object. */
const status = (pid, file = 'status') => {
  const m = {};
  for (const l of readFileSync(`/proc/${pid}/${file}`, 'latin1').split('\n')) {
    const [k, v] = l.split(':');
    if (v !== undefined) m[k] = v.trim();
  }
  return m;
};
const kb = (s) => Number.parseInt(s ?? '0', 10) / 1024;

async function measure(c) {
  // bin/ringmaster as users run it (its shell part picks node's flags), on this node
  const env = { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH}`, RINGMASTER_CONTROL_SOCKET: join(dir, `ctl-${Date.now()}.sock`) };
  const p = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...c.argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  let init;
  for (let i = 0; i < 200 && init === undefined; i++) {
    await sleep(10);
    init = children(p.pid)[0];
  }
  await sleep(SETTLE);
  if (c.scrape) {
    const url = /http endpoint listening url=(\S+)/.exec(err)?.[1];
    if (url) await fetch(`${url}/metrics`).then((r) => r.text());
    await sleep(200);
  }
  const s = status(init);
  const r = status(init, 'smaps_rollup');
  const sample = {
    rss: kb(s.VmRSS),
    anon: kb(s.RssAnon),
    file: kb(s.RssFile),
    pss: kb(r.Pss),
    pssAnon: kb(r.Pss_Anon),
    pssFile: kb(r.Pss_File),
    threads: Number(s.Threads),
  };
  const exited = new Promise((r) => p.once('exit', r));
  process.kill(init, c.kill ?? 'SIGTERM');
  const t = setTimeout(() => {
    try {
      process.kill(init, 'SIGKILL');
    } catch {}
  }, 10_000);
  await exited;
  clearTimeout(t);
  return sample;
}

const samples = Object.fromEntries(CASES.map((c) => [c.name, []]));
for (let run = 0; run < RUNS; run++) {
  const order = CASES.map((_, i) => CASES[(i + run) % CASES.length]);
  for (const c of order) samples[c.name].push(await measure(c));
  process.stderr.write('.');
}
process.stderr.write('\n');
rmSync(dir, { recursive: true, force: true });

const bare = samples['bare node'].map((s) => s.rss);
const barePss = samples['bare node'].map((s) => s.pss);
const lines = [
  `# Init memory by mode, ${new Date().toISOString()}, node ${process.version}, ${RUNS} runs, settle ${SETTLE} ms, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  '',
  '| init | VmRSS MB median (min-max) | RssAnon | RssFile | PSS | Pss_Anon | Pss_File | threads | x bare node (per-run min-max) | PSS x bare node |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const c of CASES) {
  const xs = samples[c.name];
  const r = summary(xs.map((s) => s.rss));
  const ratios = pairedRatios(xs.map((s) => s.rss), bare);
  const pssRatios = pairedRatios(xs.map((s) => s.pss), barePss);
  const m1 = (k) => median(xs.map((s) => s[k])).toFixed(1);
  lines.push(
    `| ${c.name} | ${r.median.toFixed(1)} (${r.min.toFixed(1)}-${r.max.toFixed(1)}) | ${m1('anon')} | ${m1('file')} | ${m1('pss')} | ${m1('pssAnon')} | ${m1('pssFile')} | ${median(xs.map((s) => s.threads))} | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) | ${median(pssRatios).toFixed(2)} |`,
  );
}
console.log(lines.join('\n'));
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
const out = join(ROOT, 'bench', 'out', `memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ node: process.version, runs: RUNS, settleMs: SETTLE, v8Flags: V8_FLAGS, samples }, null, 2));
console.log(`\nraw samples: ${out}`);
