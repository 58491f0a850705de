/**
 * The CommonJS packages the config loader requires on first use (synchronously: the loader
 * is), from the one-file builds `npm run build` makes of them in dist/vendor/
 * (scripts/bundle.mjs), else from node_modules (a tree built with tsc only). One file
 * instead of yaml's ~70 is most of what its import costs: 12 ms instead of 49 here
 * (BENCHMARKS.md, "Start-up").
 *
 * The path is taken from this module's own URL, which is dist/src/config/ or, in the
 * bundled init, dist/src/bundle/: the same depth, so `../../vendor` is dist/vendor from both.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/** A package ringmaster vendors for its start-up time. */
export type VendoredName = 'yaml' | 'croner';

/** `name`'s one-file build if there is one, else the package. Throws when neither loads. */
export function requireVendored(name: VendoredName): unknown {
  try {
    return requireHere(`../../vendor/${name}.cjs`);
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    return requireHere(name);
  }
}
