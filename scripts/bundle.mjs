#!/usr/bin/env node
// Bundles the init (tsc's dist/src/cli/entry.js and everything it imports) into one
// CommonJS file, dist/src/bundle/init.cjs, and the CommonJS packages the config loader
// requires on first use into dist/vendor/ (one file each; src/config/vendored.ts). Run after
// tsc and build-validator. bin/ringmaster requires the bundle when it is there, else imports
// dist/src/cli/entry.js. Workers' programs (serve, the preload, ringmaster/worker, the exec
// shim) stay in dist/src/: they are other processes, loaded from there.
//
// Why (BENCHMARKS.md, "Start-up"): Node's per-file cost (resolve, stat, read, compile) of
// ~100 modules was most of a start, and its ESM loader is itself ~15 internal modules: one
// CommonJS file reaches the first worker's spawn ~30 ms sooner than ESM chunks did. The
// modules of a mode still run only when imported (esbuild keeps import() lazy), and all of
// the init's own code is in memory from the start, so nothing of ours is read after the
// privilege drop. execa (ESM, ~200 ms, only for tasks) stays outside, imported on demand.
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

// The schema's hash, for the bundle's check of the prebuilt validator (src/config/validate.ts);
// build-validator.mjs wrote the validator from the same dist/ just before: they must agree.
const { configSchema, schemaHash } = await import(`${root}dist/src/config/schema.js`);
const hash = schemaHash(configSchema());
const { createRequire } = await import('node:module');
const built = createRequire(import.meta.url)(`${root}dist/src/config/validator.generated.cjs`).schemaHash;
if (built !== hash) throw new Error(`dist/src/config/validator.generated.cjs was built from another schema (${built}, now ${hash}): run npm run build`);

const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', legalComments: 'none', absWorkingDir: root };
const result = await build({
  ...common,
  entryPoints: ['dist/src/cli/entry.js'],
  outfile: `${out}/init.cjs`,
  format: 'cjs',
  // koffi is a native addon; ajv is only the fallback compiler for a missing validator;
  // execa is ESM and needed only with tasks
  external: ['koffi', 'ajv', 'execa'],
  define: { 'import.meta.url': '__rmModuleUrl', __RM_SCHEMA_HASH__: JSON.stringify(hash) },
  banner: { js: "'use strict'; const __rmModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  metafile: true,
});
for (const name of ['yaml', 'croner']) {
  await build({ ...common, stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, loader: 'js' }, outfile: `${root}dist/vendor/${name}.cjs`, format: 'cjs' });
}
const outputs = Object.keys(result.metafile.outputs);
const bytes = outputs.reduce((n, f) => n + statSync(`${root}${f}`).size, 0);
console.log(`wrote dist/src/bundle/init.cjs (${(bytes / 1024).toFixed(0)} KiB) and dist/vendor/{yaml,croner}.cjs`);
