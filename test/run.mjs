#!/usr/bin/env node
// Runs the compiled tests with Node's built-in runner. Node 20's --test takes no glob and
// would run every .js under a test/ folder, so we list the files ourselves:
// every dist/test/**/*.test.js, or those whose path contains one of the arguments.
// The interop tests (real servers from Debian packages) run only when asked for by name:
// `node test/run.mjs interop` (npm run test:interop), from .ci/run after it installs them.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
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
process.exit(r.status ?? 1);
