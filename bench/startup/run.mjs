#!/usr/bin/env node
/**
 * Start-up overhead of an init: from the exec of the init to the first instruction of its
 * first worker, minus the same for the worker run directly. One run measures, in rotating
 * order, each init below; every case is PID 1 of its own PID namespace
 * (`unshare --pid --fork --mount-proc`). The worker is a shell script that appends
 * `date +%s%N` to a file, then sleeps; t0 is the wall clock just before the harness spawns
 * `unshare`. Once the stamp is there, the init is ended with SIGKILL (which ends its
 * namespace): only the start is measured here.
 *
 *   node bench/startup/run.mjs [--runs 9] [--node PATH] [--base DIR] [--only a,b] [--max-minutes 20]
 *
 * --node runs ringmaster and the bare-node baseline with another Node binary (e.g. Node 24),
 * --base adds the ringmaster cases again with DIR's build (bench/base.mjs), side by side.
 * NODE_EXTRA_CA_CERTS is unset for every case (it costs every Node start ~60 ms here).
 * Prints a Markdown table: the median overhead in ms, and its ratio to a bare node start
 * (node's own time to its first instruction, measured the same way) within each run; and
 * the CPU time the init had used when the stamp was seen (the sum over its threads of
 * /proc/PID/task/TID/schedstat), which a loaded machine disturbs less than wall time.
 * Writes the samples to bench/out/startup-<time>.json. Needs root (unshare --pid).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairedRatios, summary } from '../pid1/stats.mjs';
import { baseArg, resolveBase } from '../base.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const RUNS = Number(opt('runs', 9));
const NODE = opt('node', process.execPath);
const ONLY = opt('only', undefined)?.split(',');
const DEADLINE = Date.now() + Number(opt('max-minutes', 20)) * 60_000;
const baseDir = baseArg(args);
const base = baseDir === undefined ? undefined : resolveBase(baseDir);

const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
const dir = mkdtempSync(join(tmpdir(), 'rm-bench-start-'));
const stampFile = join(dir, 'stamps');
const worker = join(dir, 'stamp.sh');
writeFileSync(worker, `#!/bin/sh\ndate +%s%N >> ${stampFile}\nexec sleep 60\n`);
chmodSync(worker, 0o755);
const nodeStamp = `require('fs').appendFileSync(${JSON.stringify(stampFile)}, Math.round((performance.timeOrigin + performance.now()) * 1e6) + '\\n'); setTimeout(() => {}, 60000)`;
const ini = join(dir, 'c.ini');
writeFileSync(ini, `[watcher:w]\ncmd = ${worker}\n`);
const yaml = join(dir, 'c.yaml');
writeFileSync(
  yaml,
  `ringmaster:\n  http_host: 127.0.0.1\n  http_port: 0\nsockets:\n  web:\n    host: 127.0.0.1\n    port: 0\nwatchers:\n  w:\n    cmd: ${worker}\n    use_sockets: true\n`,
);
const supervisorConf = join(dir, 'supervisord.conf');
writeFileSync(
  supervisorConf,
  `[supervisord]\nnodaemon=true\nuser=root\nlogfile=/dev/null\nlogfile_maxbytes=0\npidfile=${join(dir, 'supervisord.pid')}\n\n[program:w]\ncommand=${worker}\nstartsecs=0\nautorestart=false\nstdout_logfile=/dev/null\nstderr_logfile=/dev/null\n`,
);

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
const nodePath = `${dirname(NODE)}:${process.env.PATH}`;
const ringmasterCases = (label, bin) => [
  { name: `${label} -- CMD`, argv: [bin, '--', worker], path: nodePath },
  { name: `${label} -c (INI, no http)`, argv: [bin, '-c', ini], path: nodePath },
  { name: `${label} -c (YAML, socket, http_port)`, argv: [bin, '-c', yaml], path: nodePath },
];
const ALL = [
  { name: 'direct (the worker alone)', argv: [worker], direct: true },
  { name: 'bare node', argv: [NODE, '-e', nodeStamp], bare: true },
  // the floor of any init written for Node: spawn the child, forward signals, nothing else
  { name: 'smallest Node forwarder (bench/pid1/node-fwd.cjs)', argv: [NODE, join(ROOT, 'bench', 'pid1', 'node-fwd.cjs'), worker], bare: true },
  ...(which('tini') ? [{ name: 'tini', argv: [which('tini'), '--', worker] }] : []),
  ...(which('dumb-init') ? [{ name: 'dumb-init', argv: [which('dumb-init'), '--', worker] }] : []),
  ...(which('supervisord') ? [{ name: 'supervisord', argv: [which('supervisord'), '-n', '-c', supervisorConf] }] : []),
  ...ringmasterCases('ringmaster', join(ROOT, 'bin', 'ringmaster')),
  ...(base ? ringmasterCases(`ringmaster-base (${base.git ?? base.dir})`, base.bin) : []),
];
const CASES = ALL.filter((c) => c.direct || c.bare || !ONLY || ONLY.some((o) => c.name.includes(o)));
for (const missing of ['tini', 'dumb-init', 'supervisord'].filter((c) => !which(c))) {
  process.stderr.write(`note: ${missing} is not installed (apt-get install ${missing === 'supervisord' ? 'supervisor' : missing}); left out\n`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wallNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const stamps = () => (existsSync(stampFile) ? readFileSync(stampFile, 'latin1').trim().split('\n').filter(Boolean) : []);
const children = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** CPU ms used so far by `pid`, all threads (schedstat: ns on the CPU), or NaN. */
function cpuMs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** One start: {ms} from the spawn to the worker's stamp (NaN when it did not come in 10 s), {cpu} the init's CPU ms then. */
async function measure(c) {
  rmSync(stampFile, { force: true });
  const env = { ...process.env, RINGMASTER_CONTROL_SOCKET: join(dir, 'ctl.sock'), PATH: c.path ?? process.env.PATH };
  delete env.NODE_EXTRA_CA_CERTS;
  const t0 = wallNs();
  const p = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...c.argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => p.once('exit', r));
  let line;
  for (let i = 0; i < 2000 && line === undefined; i++) {
    await sleep(5);
    line = stamps()[0];
  }
  const init = children(p.pid)[0];
  const cpu = init === undefined ? Number.NaN : cpuMs(init);
  if (init !== undefined) process.kill(init, 'SIGKILL');
  else p.kill('SIGKILL');
  await exited;
  if (line === undefined) {
    process.stderr.write(`\n${c.name}: no stamp in 10 s; stderr:\n${err.slice(-2000)}\n`);
    return { ms: Number.NaN, cpu };
  }
  return { ms: Number(BigInt(line) - t0) / 1e6, cpu };
}

const samples = Object.fromEntries(CASES.map((c) => [c.name, []]));
let runs = 0;
for (let run = 0; run < RUNS && Date.now() < DEADLINE; run++, runs++) {
  const order = CASES.map((_, i) => CASES[(i + run) % CASES.length]);
  for (const c of order) samples[c.name].push(await measure(c));
  await sleep(100);
  process.stderr.write('.');
}
process.stderr.write('\n');
rmSync(dir, { recursive: true, force: true });

const direct = samples['direct (the worker alone)'].map((x) => x.ms);
const overhead = (name) => samples[name].map((x, i) => x.ms - direct[i]);
const bare = overhead('bare node');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const load = readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');
const lines = [
  `# Start-up overhead, ${new Date().toISOString()}, node ${nodeVersion} (${NODE}), ${runs} runs, load ${load}`,
  '',
  '| init | overhead ms median (min-max) | x bare node start (per-run min-max) | init CPU ms at the stamp, median (min-max) |',
  '|---|---:|---:|---:|',
];
for (const c of CASES.filter((x) => !x.direct)) {
  const xs = overhead(c.name);
  const s = summary(xs.filter(Number.isFinite));
  const r = pairedRatios(xs, bare);
  const cpu = summary(samples[c.name].map((x) => x.cpu).filter(Number.isFinite));
  lines.push(`| ${c.name} | ${f1(s.median)} (${f1(s.min)}-${f1(s.max)}) | ${f2(median(r))} (${f2(Math.min(...r))}-${f2(Math.max(...r))}) | ${f1(cpu.median)} (${f1(cpu.min)}-${f1(cpu.max)}) |`);
}
const d = summary(direct.filter(Number.isFinite));
lines.push('', `direct run of the worker (subtracted from each): ${f1(d.median)} ms median (${f1(d.min)}-${f1(d.max)})`);
console.log(lines.join('\n'));
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
const out = join(ROOT, 'bench', 'out', `startup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ node: nodeVersion, runs, base: base?.git, samples }, null, 2));
console.log(`\nraw samples: ${out}`);
