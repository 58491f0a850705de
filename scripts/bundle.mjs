#!/usr/bin/env node
// Bundles the init (tsc's dist/src/cli/entry.js and everything it imports) into
// dist/src/bundle/, one chunk per lazily imported part (a mode, the metrics, execa...), and
// the CommonJS packages the config loader requires on first use into dist/vendor/ (one
// file each; src/config/vendored.ts). Run after tsc and build-validator. Why: a PID 1 loads
// ~100 modules at start, and Node's per-file cost (resolve, stat, read, compile) is most of
// the time it takes (BENCHMARKS.md, "Start-up"). bin/ringmaster runs the bundle when it is
// there, else dist/src/cli/entry.js. Workers' programs (serve, the preload, ringmaster/worker,
// the exec shim) stay in dist/src/: they are other processes, loaded from there.
//
// The bundle lives at dist/src/bundle/, the depth of every dist/src/<dir>/ module, so that
// the paths taken from import.meta.url (the preload, the exec shim, the validator,
// package.json, dist/vendor) are right from both.
import { build } from 'esbuild';
import { rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/src/bundle`;
rmSync(out, { recursive: true, force: true });
rmSync(`${root}dist/vendor`, { recursive: true, force: true });

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', legalComments: 'none', absWorkingDir: root };
const result = await build({
  ...common,
  entryPoints: { entry: 'dist/src/cli/entry.js' },
  outdir: out,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  // koffi is a native addon; ajv is only the fallback compiler for a missing validator
  external: ['koffi', 'ajv'],
  // the CommonJS packages bundled in (prom-client) require Node's built-ins
  banner: { js: "import { createRequire as __rmCreateRequire } from 'node:module'; const require = __rmCreateRequire(import.meta.url);" },
  metafile: true,
});
for (const name of ['yaml', 'croner']) {
  await build({ ...common, stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, loader: 'js' }, outfile: `${root}dist/vendor/${name}.cjs`, format: 'cjs' });
}
const outputs = Object.keys(result.metafile.outputs);
const bytes = outputs.reduce((n, f) => n + statSync(`${root}${f}`).size, 0);
console.log(`wrote dist/src/bundle/ (${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB) and dist/vendor/{yaml,croner}.cjs`);
