/**
 * A second ringmaster build run beside the current one in the same benchmark run, so that a
 * change is judged by ratios taken within one run (these machines are too noisy to compare
 * two runs). `--base DIR` in bench/rolling, bench/respawn and bench/throughput adds a
 * manager named `ringmaster-base`: run exactly like `ringmaster`, but with DIR/bin/ringmaster
 * (so DIR's dist/ and node_modules), the app and the driver staying those of this tree.
 *
 * DIR is a checkout with its own node_modules and dist/ built, e.g.
 *   git worktree add --detach /work/base REV && cd /work/base && npm ci && npm run build
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BASE, ROOT, isRingmaster, summary } from './throughput/lib.mjs';

export { BASE, isRingmaster };

/** What is missing for `root` to run as a built ringmaster, or what makes it slower to start. */
function buildProblems(root) {
  const missing = [
    ['bin/ringmaster', 'bin/ringmaster'],
    ['dist/src/cli/main.js', 'dist/ (run `npm run build` there)'],
    ['node_modules', 'node_modules (run `npm ci` there)'],
  ]
    .filter(([p]) => !existsSync(path.join(root, p)))
    .map(([, what]) => what);
  // Without the generated validator the init compiles its schema with ajv at every start,
  // which would show up as a start-up difference that is only a build difference.
  const slow =
    existsSync(path.join(root, 'scripts', 'build-validator.mjs')) && !existsSync(path.join(root, 'dist', 'src', 'config', 'validator.generated.cjs'))
      ? [`${root}: no dist/src/config/validator.generated.cjs (built with tsc only): run \`npm run build\` there, or start-up is not comparable`]
      : [];
  return { missing, slow };
}

/**
 * Check DIR (the value of --base) and describe it: {dir, bin, git}. Throws when DIR is not a
 * built checkout; prints a warning when either tree is built in a way that would skew the
 * comparison, or when DIR is this tree (an A/A run, which shows the noise).
 */
export function resolveBase(dir) {
  const root = path.resolve(dir);
  const { missing, slow } = buildProblems(root);
  if (missing.length) throw new Error(`--base ${dir}: missing ${missing.join(', ')}`);
  for (const w of [...slow, ...buildProblems(ROOT).slow]) process.stderr.write(`warning: ${w}\n`);
  if (root === ROOT) process.stderr.write(`warning: --base is this tree: ringmaster-base is the same build (an A/A run)\n`);
  const git = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || undefined;
  return { dir: root, bin: path.join(root, 'bin', 'ringmaster'), git };
}

/** The value following `--base` in argv, or undefined. */
export function baseArg(argv) {
  const i = argv.indexOf('--base');
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error('--base needs a directory');
  return v;
}

/**
 * Paired ratios a / b: `as` and `bs` are samples, matched by `key(sample)` (the round, the
 * run...); `value(sample)` is the figure. Returns summary() of the ratios of the pairs found.
 */
export function pairedRatios(as, bs, key, value) {
  const byKey = new Map(bs.map((b) => [key(b), b]));
  return summary(
    as.map((a) => {
      const b = byKey.get(key(a));
      return b === undefined ? Number.NaN : value(a) / value(b);
    }),
  );
}

/** "median (min-max)" of a ratio summary, two decimals, or "-". */
export function ratioCell(s) {
  const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  return s.n ? `**${f2(s.median)}** (${f2(s.min)}-${f2(s.max)})` : '-';
}
