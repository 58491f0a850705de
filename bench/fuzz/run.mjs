#!/usr/bin/env node
/**
 * Fuzz `ringmaster check`: mutate the bundled configs (examples/, fixtures/config/) and
 * hostile shapes (alias bombs, deep nesting, reversed ranges, __proto__, huge headers,
 * includes of devices and /proc) in YAML and INI, load each in this process (the config
 * pipeline that `check` runs), and every --cli-every'th one through the real CLI.
 *
 *   node bench/fuzz/run.mjs [--cases 3000] [--seed 1] [--cli-every 50] [--slow-ms 1000] [--keep DIR]
 *
 * Exit codes are those `check` would give: 0, or a RingmasterError's code (64, 71, 78);
 * anything else thrown is 70 (a crash). Prints cases tried, the exit-code distribution
 * and the slowest case. An input that crashed, that the CLI answered with another code,
 * a stack trace or not within 20 s, or that took more than --slow-ms of CPU in process, is
 * written to --keep (default fixtures/fuzz/, the corpus of test/config/fuzz-corpus).
 * Not run by npm test. Temp files are removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { loadConfig } = await import(path.join(ROOT, 'dist/src/config/index.js'));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const CASES = Number(arg('cases', 3000));
const CLI_EVERY = Number(arg('cli-every', 50));
const SLOW_MS = Number(arg('slow-ms', 1000));
const KEEP = path.resolve(arg('keep', path.join(ROOT, 'fixtures', 'fuzz')));
let seed = Number(arg('seed', 1));

/** mulberry32: the same cases for the same --seed */
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];

function walk(dir) {
  const out = [];
  for (const n of readdirSync(dir)) {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ya?ml|ini)$/.test(n)) out.push(p);
  }
  return out;
}

const bomb = (levels) => {
  let s = 'x0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n';
  for (let i = 1; i < levels; i++) s += `x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
  return `${s}watchers:\n  web:\n    cmd: node\n    args: *a${levels - 1}\n`;
};
const HOSTILE = [
  ['bomb.yaml', bomb(7)],
  ['cycle.yaml', 'a: &a [*a, *a]\nwatchers:\n  w: {cmd: x, args: *a}\n'],
  ['deep-flow.yaml', `watchers: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
  ['deep-block.yaml', `watchers:\n${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i + 1)}-`).join('\n')}\n`],
  ['dashes.yaml', `watchers: ${'- '.repeat(5000)}x\n`],
  ['proto.yaml', 'watchers:\n  __proto__: {cmd: x}\n  w: {cmd: x, env: {__proto__: a, constructor: b}}\n'],
  ['multi.yaml', 'watchers:\n  w: {cmd: x}\n---\nwatchers: {}\n'],
  ['bom.yaml', '\ufeffwatchers:\n  w: {cmd: x}\n'],
  ['range.ini', '[circus]\ninclude = [z-a].ini\ninclude_dir = [z-a]\n[env:[z-a]]\nA = 1\n[watcher:w]\ncmd = x\n'],
  ['brackets.ini', `[env:${'['.repeat(100000)}${']'.repeat(100000)}]\nA=1\n[watcher:w]\ncmd = x\n`],
  ['header.ini', `${'['.repeat(100000)}]\n[watcher:w]\ncmd = x\n`],
  ['devzero.ini', '[circus]\ninclude = /dev/zero\n[watcher:w]\ncmd = x\n'],
  ['proc.ini', '[circus]\ninclude = /proc/self/*\n[watcher:w]\ncmd = x\n'],
  ['procdir.ini', '[circus]\ninclude_dir = /proc/self/fd /proc/self\n[watcher:w]\ncmd = x\n'],
  ['proto.ini', '[watcher:__proto__]\ncmd = x\n[env:__proto__]\nA = 1\n[watcher:w]\ncmd = x\n__proto__ = 1\n'],
  ['bom.ini', '\ufeff[watcher:w]\ncmd = x\n'],
  ['interp.ini', `[watcher:w]\ncmd = x ${'${A:-'.repeat(20000)}\n`],
  ['opt.ini', `[watcher:w]\ncmd = x\na${' '.repeat(100000)}b\n`],
  ['star.ini', `[env:${'*a'.repeat(100)}b]\nA=1\n[watcher:${'a'.repeat(200)}]\ncmd = x\n`],
];
const TOKENS = [
  '[', ']', '{', '}', '*', '?', '&a ', '*a', '!', '[z-a]', '[!]', '${', '${A:-', '$(circus.env.', '__proto__', 'constructor',
  '\n', '\n---\n', '\n...\n', ':', ': ', '- ', '#', ';', '"', "'", '|', '>', '\t', '\ufeff', '\u0000', '=', ' = ',
  '\ninclude = /dev/zero\n', '\ninclude = /proc/self/*\n', '\n[env:*]\n', '\n[watcher:__proto__]\n', '\n[socket:s]\nport = 0\n',
  '99999999999999999999', '-1', '1e308', '.inf', '.nan', '0x10', '~', 'null', 'True', 'SIGKILL', '@abstract', '/', '..',
];

function mutate(text) {
  let s = text;
  for (let n = 1 + int(4); n > 0; n--) {
    const at = int(s.length + 1);
    switch (int(8)) {
      case 0: // insert a token
        s = s.slice(0, at) + pick(TOKENS) + s.slice(at);
        break;
      case 1: // delete a run
        s = s.slice(0, at) + s.slice(at + 1 + int(20));
        break;
      case 2: // flip a byte
        s = s.slice(0, at) + String.fromCharCode(int(128)) + s.slice(at + 1);
        break;
      case 3: {
        // repeat a line many times
        const lines = s.split('\n');
        const i = int(lines.length);
        lines.splice(i, 0, ...Array(1 + int(2000)).fill(lines[i] ?? ''));
        s = lines.join('\n');
        break;
      }
      case 4: // repeat a token many times
        s = s.slice(0, at) + pick(TOKENS).repeat(1 + int(5000)) + s.slice(at);
        break;
      case 5: // truncate
        s = s.slice(0, at);
        break;
      case 6: // swap two lines
        {
          const lines = s.split('\n');
          const i = int(lines.length);
          const j = int(lines.length);
          [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
          s = lines.join('\n');
        }
        break;
      default: // indent or dedent a line
        s = s.slice(0, at) + (rand() < 0.5 ? ' '.repeat(1 + int(8)) : '') + s.slice(at).replace(/^ +/, '');
    }
  }
  return s;
}

const seeds = [...walk(path.join(ROOT, 'examples')), ...walk(path.join(ROOT, 'fixtures', 'config'))].map((p) => [
  path.basename(p),
  readFileSync(p, 'utf8'),
]);
const dir = mkdtempSync(path.join(os.tmpdir(), 'ringmaster-fuzz-'));
const codes = new Map();
const kept = [];
let worst = { ms: 0, name: '' };

function inProcess(file) {
  try {
    loadConfig({ path: file, env: { HOME: '/root', PATH: process.env.PATH }, cwd: dir });
    return 0;
  } catch (e) {
    return typeof e?.exitCode === 'number' ? e.exitCode : 70;
  }
}

function keep(name, text, why) {
  mkdirSync(KEEP, { recursive: true });
  const file = path.join(KEEP, `${String(readdirSync(KEEP).length).padStart(3, '0')}-${name}`);
  writeFileSync(file, text);
  kept.push(`${path.relative(ROOT, file)}: ${why}`);
}

const report = () => {
  console.log(`cases: ${tried}`);
  console.log(`exit codes: ${[...codes].map(([c, k]) => `${c}: ${k}`).join(', ')}`);
  console.log(`slowest in process: ${worst.ms.toFixed(1)} CPU ms, ${worst.name}`);
  console.log(kept.length === 0 ? 'nothing kept' : `kept:\n  ${kept.join('\n  ')}`);
};
let tried = 0;
try {
  for (let n = 0; n < CASES; n++, tried++) {
    if (n > 0 && n % 500 === 0) report();
    const [name, base] = n < HOSTILE.length ? HOSTILE[n] : rand() < 0.3 ? pick(HOSTILE) : pick(seeds);
    const text = n < HOSTILE.length ? base : mutate(base);
    const ext = path.extname(name);
    const file = path.join(dir, `case${ext}`);
    writeFileSync(file, text);
    const t0 = process.cpuUsage();
    const code = inProcess(file);
    const cpu = process.cpuUsage(t0);
    const ms = (cpu.user + cpu.system) / 1000;
    codes.set(code, (codes.get(code) ?? 0) + 1);
    if (ms > worst.ms) worst = { ms, name: `case ${n} (from ${name}, ${text.length} bytes)` };
    if (code === 70) keep(name, text, 'exit 70 in process');
    else if (ms > SLOW_MS) keep(name, text, `${ms.toFixed(0)} CPU ms in process`);
    if (n % CLI_EVERY === 0 || code === 70) {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'ringmaster'), 'check', file], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 20_000,
        env: { PATH: process.env.PATH, HOME: '/root' },
      });
      const key = `cli ${r.status ?? r.signal}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
      const trace = /^\s+at .+:\d+:\d+\)?$/m.test(r.stderr);
      if (![0, 64, 71, 78].includes(r.status) || trace) keep(name, text, `CLI exit ${r.status ?? r.signal}${trace ? ', stack trace' : ''}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
report();
