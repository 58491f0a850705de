#!/usr/bin/env node
// Runs the compiled tests with Node's built-in runner. Node 20's --test takes no glob and
// would run every .js under a test/ folder, so we list the files ourselves:
// every dist/test/**/*.test.js, or those whose path contains one of the arguments.
// The interop tests (real servers from Debian packages) run only when asked for by name:
// `node test/run.mjs interop` (npm run test:interop), from .ci/run after it installs them.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';

const here = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

// Some tests run workers, ctl or intruders as other users (nobody, 10001), which must be
// able to read the checkout. A checkout under a directory only root may enter (as
// `mktemp -d` makes them) is copied, as hard links, to a directory anyone may read, and
// the tests run there; the copy is removed at the end.
function readableByOthers(path) {
  for (let p = path; p !== '/' && p !== ''; p = p.slice(0, p.lastIndexOf('/')) || '/') {
    if ((statSync(p).mode & 0o005) !== 0o005) return false;
  }
  return true;
}
let copy;
if (process.getuid?.() === 0 && !readableByOthers(here)) {
  copy = mkdtempSync(join(tmpdir(), 'ringmaster-tests-'));
  chmodSync(copy, 0o755);
  if (!readableByOthers(copy)) throw new Error(`${copy}: the temp dir is not readable by others either; set TMPDIR`);
  const present = readdirSync(here).filter((n) => n !== '.git');
  const cp = spawnSync('cp', ['-al', ...present.map((n) => join(here, n)), copy], { stdio: 'inherit' });
  if (cp.status !== 0) process.exit(cp.status ?? 1);
  console.log(`# ${here} is not readable by other users: the tests run from a copy in ${copy}`);
}
const root = copy ?? here;
const dir = join(root, 'dist', 'test');

function walk(d) {
  const out = [];
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk(dir)
  .filter((f) =>
    filters.length === 0 ? !relative(root, f).includes('/interop/') : filters.some((x) => relative(root, f).includes(x)),
  )
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
});
if (copy) rmSync(copy, { recursive: true, force: true });
process.exit(r.status ?? 1);
