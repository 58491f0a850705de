#!/usr/bin/env node
/**
 * The worst input at each parse limit (src/config/limits.ts): how long the whole config
 * pipeline takes on it (read, parse, validate, build), in this process, after `npm run build`.
 *
 *   node bench/parse/limits.mjs [--runs 5] [--only TEXT]
 *
 * Each case is a family of inputs of growing size k. The largest k that is not refused
 * with RM_CONFIG_LIMIT (found by bisection) is the worst input under the limits, k + 1
 * the first one over. Each is loaded from a file --runs times; printed are the first
 * (cold) and the worst of the others (warm), in CPU milliseconds of this process (user +
 * system: on a shared machine, wall time measures the neighbours). The temp dir is
 * removed at the end.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { loadConfig } = await import(path.join(ROOT, 'dist/src/config/index.js'));
const L = await import(path.join(ROOT, 'dist/src/config/limits.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const RUNS = Number(arg('runs', 5));
const ONLY = arg('only', undefined);

const times = (n, f) => Array.from({ length: n }, (_, i) => f(i)).join('');
const pad = (s, n) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** name, the limit it is meant to reach, make(k) -> files (main file first), an upper bound of k */
const real = (k) => ({
  'c.yaml': `sockets:\n${times(k, (i) => `  web${i}:\n    host: 0.0.0.0\n    port: ${8000 + i}\n`)}watchers:\n${times(
    k,
    (i) => `  # the web app, shard ${i}\n  web${i}:\n    cmd: node server.js --fd $(circus.sockets.web${i})\n    args: [--shard, "${i}"]\n    numprocesses: 4\n    use_sockets: true\n    sockets: [web${i}]\n    working_dir: /srv/app\n    graceful_timeout: 30\n    max_retry: 5\n    stop_signal: SIGTERM\n    priority: ${i % 10}\n    env:\n      NODE_ENV: production\n      SHARD: "${i}"\n      LOG_LEVEL: info\n      PORT: "${8000 + i}"\n`,
  )}`,
});

const cases = [
  ['a real config: k watchers, 12 options, a socket each', 'watchers', real, 2 * L.MAX_WATCHERS],
  ['bytes: one long YAML cmd', 'bytes', (k) => ({ 'c.yaml': `watchers:\n  w:\n    cmd: "x ${'a'.repeat(k)}"\n` }), L.MAX_CONFIG_BYTES],
  ['bytes: INI cmd of ${A:- runs', 'bytes', (k) => ({ 'c.ini': `[watcher:w]\ncmd = x ${'${A:-'.repeat(k)}\n` }), L.MAX_CONFIG_BYTES],
  ['bytes: INI unreadable lines', 'bytes', (k) => ({ 'c.ini': `[watcher:w]\ncmd = x\n${'!\n'.repeat(k)}` }), L.MAX_CONFIG_BYTES],
  ['YAML tokens: flow list of numbers', 'tokens', (k) => ({ 'c.yaml': `watchers:\n  w:\n    cmd: x\n    args: [${times(k, () => '1,')}1]\n` }), L.MAX_YAML_TOKENS],
  ['YAML tokens: unknown watcher options', 'tokens', (k) => ({ 'c.yaml': `watchers:\n  w:\n    cmd: x\n${times(k, (i) => `    k${i}: 1\n`)}` }), L.MAX_YAML_TOKENS],
  ['YAML tokens: env of one watcher', 'tokens', (k) => ({ 'c.yaml': `watchers:\n  w:\n    cmd: x\n    env:\n${times(k, (i) => `      K${i}: v\n`)}` }), L.MAX_YAML_TOKENS],
  ['nesting depth: flow lists', 'depth', (k) => ({ 'c.yaml': `watchers:\n  w:\n    cmd: x\n    args: ${'['.repeat(k)}${']'.repeat(k)}\n` }), 200],
  ['nesting depth: block lists', 'depth', (k) => ({ 'c.yaml': `watchers:\n  w:\n    cmd: x\n    args:\n${times(k, (i) => `${' '.repeat(6 + 2 * i)}-\n`)}` }), 200],
  ['YAML aliases: each a 9-item list', 'aliases', (k) => ({ 'c.yaml': `x: &a [1,2,3,4,5,6,7,8,9]\nwatchers:\n  w:\n    cmd: x\n    args: [${times(k, () => '*a,')}*a]\n` }), 2 * L.MAX_ALIASES],
  ['nodes: aliases of a 100-item list', 'nodes', (k) => ({ 'c.yaml': `x: &a [${times(99, () => '1,')}1]\nwatchers:\n  w:\n    cmd: x\n    args: [${times(k, () => '*a,')}*a]\n` }), L.MAX_NODES],
  ['nodes: INI unknown keys in one watcher', 'nodes', (k) => ({ 'c.ini': `[watcher:w]\ncmd = x\n${times(k, (i) => `k${i}=1\n`)}` }), 2 * L.MAX_NODES],
  ['nodes: INI env of one watcher', 'nodes', (k) => ({ 'c.ini': `[watcher:w]\ncmd = x\n[env:w]\n${times(k, (i) => `K${i}=$HOME\n`)}` }), 2 * L.MAX_NODES],
  ['watchers: YAML, 4 options each', 'watchers', (k) => ({ 'c.yaml': `watchers:\n${times(k, (i) => `  w${i}: {cmd: node app.js, numprocesses: 2, graceful_timeout: 10, env: {A: b}}\n`)}` }), 2 * L.MAX_WATCHERS],
  ['watchers: INI with the most [env:*] patterns', 'watchers', (k) => ({
    'c.ini': `${times(L.MAX_ENV_PATTERNS, (i) => `[env:*a*${i}*]\nK${i} = v\n`)}${times(k, (i) => `[watcher:w${i}]\ncmd = x\n`)}`,
  }), 2 * L.MAX_WATCHERS],
  ['sockets: YAML', 'sockets', (k) => ({ 'c.yaml': `sockets:\n${times(k, (i) => `  s${i}: {host: 127.0.0.1, port: 0}\n`)}watchers:\n  w: {cmd: x}\n` }), 2 * L.MAX_SOCKETS],
  ['env patterns: with the most watchers', 'envPatterns', (k) => ({
    'c.ini': `${times(k, (i) => `[env:*w*${i}]\nK = v\n`)}${times(L.MAX_WATCHERS, (i) => `[watcher:w${i}]\ncmd = x\n`)}`,
  }), 2 * L.MAX_ENV_PATTERNS],
  ['name length: 500 long YAML env keys', 'nameLength', (k) => ({ 'c.yaml': `watchers:\n  w:\n    cmd: x\n    env:\n${times(500, (i) => `      K${String(i).padStart(4, '0')}${'K'.repeat(k)}: v\n`)}` }), 2 * L.MAX_NAME_LENGTH],
  ['files: INI includes', 'files', (k) => {
    const files = { 'c.ini': '[circus]\ninclude = inc/*.ini\n[watcher:w]\ncmd = x\n' };
    for (let i = 0; i < k; i++) files[`inc/${String(i).padStart(4, '0')}.ini`] = `[watcher:w${i}]\ncmd = x\n`;
    return files;
  }, 2 * L.MAX_CONFIG_FILES],
  ['glob entries: include over a big directory', 'globEntries', (k) => {
    const files = { 'c.ini': '[circus]\ninclude = d/*.conf\n[watcher:w]\ncmd = x\n' };
    for (let i = 0; i < k; i++) files[`d/${i}.txt`] = '';
    return files;
  }, 2 * L.MAX_GLOB_ENTRIES],
];

const dir = mkdtempSync(path.join(os.tmpdir(), 'ringmaster-bench-limits-'));
let seq = 0;
function load(files) {
  const d = path.join(dir, String(seq++));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, f)), { recursive: true });
    writeFileSync(path.join(d, f), text);
  }
  const main = path.join(d, Object.keys(files)[0]);
  return () => {
    try {
      const c = loadConfig({ path: main, env: { HOME: '/root' }, cwd: d });
      return `ok, ${c.watchers.length} watchers`;
    } catch (e) {
      if (e.code === 'RM_CONFIG_LIMIT') return `limit: ${/\d+ ([^,]+), over/.exec(e.message)?.[1] ?? e.message}`;
      return e.code === 'RM_CONFIG' ? `${e.issues.length} config errors` : String(e);
    }
  };
}
function measure(files) {
  const run = load(files);
  const ms = [];
  let result = '';
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.cpuUsage();
    result = run();
    const t = process.cpuUsage(t0);
    ms.push((t.user + t.system) / 1000);
  }
  return [result, ms[0], Math.max(...ms.slice(1))];
}
const limited = (make, k) => load(make(k))().startsWith('limit');

try {
  console.log(`${pad('case', 46)} ${pad('k', 7)} ${pad('at k: result', 24)} cold ms  warm ms | at k+1: result`);
  for (const [name, , make, hi] of cases) {
    if (ONLY !== undefined && !name.includes(ONLY)) continue;
    let lo = 0;
    let up = hi;
    if (!limited(make, up)) lo = up;
    while (up - lo > 1) {
      const mid = Math.floor((lo + up) / 2);
      if (limited(make, mid)) up = mid;
      else lo = mid;
    }
    const [result, cold, warm] = measure(make(lo));
    const over = load(make(lo + 1))();
    if (make === real) {
      const text = real(200)['c.yaml'];
      const { Lexer, CST } = (await import('node:module')).createRequire(import.meta.url)(path.join(ROOT, 'node_modules/yaml'));
      let tokens = 0;
      for (const t of new Lexer().lex(text)) if (!['space', 'newline', 'comment', 'doc-mode', null].includes(CST.tokenType(t))) tokens++;
      const [r200, c200, w200] = measure(real(200));
      console.log(`${pad('  the same with 200 watchers', 46)} ${pad('200', 7)} ${pad(r200, 24)} ${c200.toFixed(1).padStart(7)} ${w200.toFixed(1).padStart(8)} | ${text.length} bytes, ${tokens} tokens`);
    }
    console.log(`${pad(name, 46)} ${pad(String(lo), 7)} ${pad(result, 24)} ${cold.toFixed(1).padStart(7)} ${warm.toFixed(1).padStart(8)} | ${over}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
