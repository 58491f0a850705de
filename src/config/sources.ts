/**
 * Where the configuration comes from, first found wins:
 *
 * 1. `opts.path` (`--config`): a file, or a directory of fragments;
 * 2. `RINGMASTER_CONFIG`: the configuration text itself (format sniffed);
 * 3. `RINGMASTER_CONFIG_FILE`: a path, file or directory;
 * 4. `/etc/ringmaster/ringmaster.yaml`, `.yml`, `.ini`.
 *
 * A directory is read as Kubernetes mounts a ConfigMap: the visible names are symlinks
 * into `..data` (a symlink to a timestamped directory, swapped atomically on update).
 * Dot-files (`..data`, `..2024_...`) are skipped; every `*.yaml`, `*.yml`, `*.ini` is
 * read, through its symlink, in name order, and merged option by option, later files
 * winning (so `10-base.yaml` and `20-site.yaml` layer as expected).
 *
 * Relative paths are taken from `cwd`. A path given explicitly must exist.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { newBudget, type Budget } from './limits.js';
import { finishSteps, formatOfName, parseFragment, runSteps, sniffFormat, stepsAsync, type FinishOptions, type Steps } from './pipeline.js';
import { readConfigText, readConfigTextAsync } from './read.js';
import { withPreloadWarnings } from './preload-check.js';
import { givenText } from './read-file.js';
import type { RawSource } from './tree.js';
import type { Config } from './types.js';

/** The fallback locations, in order. */
export const DEFAULT_PATHS: readonly string[] = ['yaml', 'yml', 'ini'].map((e) => `/etc/ringmaster/ringmaster.${e}`);

export type Source =
  | { kind: 'path'; path: string; origin: 'path' | 'RINGMASTER_CONFIG_FILE' | 'default' }
  | { kind: 'text'; text: string };

/** Which source applies, without reading it; undefined when there is none. */
export function findSource(
  opts: { path?: string; env: NodeJS.ProcessEnv; cwd: string },
  defaults: readonly string[] = DEFAULT_PATHS,
): Source | undefined {
  if (opts.path !== undefined && opts.path !== '') return { kind: 'path', path: opts.path, origin: 'path' };
  const text = opts.env['RINGMASTER_CONFIG'];
  if (text !== undefined && text.trim() !== '') return { kind: 'text', text };
  const file = opts.env['RINGMASTER_CONFIG_FILE'];
  if (file !== undefined && file !== '') return { kind: 'path', path: file, origin: 'RINGMASTER_CONFIG_FILE' };
  for (const d of defaults) if (isFile(d)) return { kind: 'path', path: d, origin: 'default' };
  return undefined;
}

/** Where to read a configuration from, and what it is for (FinishOptions: `mainCommand`). */
export interface LoadOptions extends FinishOptions {
  path?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Read the configuration from the first source found (see the module comment); null if none. */
export function loadConfigFrom(
  opts: LoadOptions,
  defaults: readonly string[] = DEFAULT_PATHS,
): Config | null {
  const source = findSource(opts, defaults);
  if (source === undefined) return null;
  const budget = newBudget();
  return runSteps(loadSteps(source, opts, budget), (abs, label) => readConfigText(abs, label, budget));
}

/**
 * `loadConfigFrom` for a running init: files read with fs.promises (and re-checked to be
 * whole, see read.ts), and the event loop turns between reading, parsing and validating.
 */
export async function loadConfigFromAsync(
  opts: LoadOptions,
  defaults: readonly string[] = DEFAULT_PATHS,
): Promise<Config | null> {
  const source = findSource(opts, defaults);
  if (source === undefined) return null;
  const budget = newBudget();
  return stepsAsync(loadSteps(source, opts, budget), (abs, label) => readConfigTextAsync(abs, label, budget));
}

function* loadSteps(source: Source, opts: LoadOptions, budget: Budget): Steps<Config> {
  if (source.kind === 'text') {
    const text = givenText('RINGMASTER_CONFIG', source.text, budget);
    const fragment = parseFragment(text, 'RINGMASTER_CONFIG', sniffFormat(text), opts.env, opts.cwd, budget);
    return withPreloadWarnings(yield* finishSteps([fragment], opts.env, opts), opts.cwd);
  }
  const fragments = yield* readPath(source.path, source.origin, opts.env, opts.cwd, budget);
  return withPreloadWarnings(yield* finishSteps(fragments, opts.env, opts), opts.cwd);
}

function* readPath(path: string, origin: string, env: NodeJS.ProcessEnv, cwd: string, budget: Budget): Steps<RawSource[]> {
  const abs = resolve(cwd, path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    const via = origin === 'path' ? '' : ` (from ${origin})`;
    throw configError(path, `config path ${path}${via} does not exist; check the path, or mount the ConfigMap there`);
  }
  if (!st.isDirectory()) return [yield* readFragment(path, abs, env, cwd, budget)];
  const names = readdirSync(abs)
    .filter((n) => !n.startsWith('.') && /\.(ya?ml|ini)$/i.test(n) && isFile(join(abs, n)))
    .sort();
  if (names.length === 0) {
    throw configError(path, `config directory ${path} holds no *.yaml, *.yml or *.ini file`);
  }
  const out: RawSource[] = [];
  for (const n of names) out.push(yield* readFragment(join(path, n), join(abs, n), env, cwd, budget));
  return out;
}

function* readFragment(label: string, abs: string, env: NodeJS.ProcessEnv, cwd: string, budget: Budget): Steps<RawSource> {
  const text = (yield { read: abs, label }) as string;
  yield;
  return parseFragment(text, label, formatOfName(label) ?? sniffFormat(text), env, cwd, budget);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function configError(path: string, message: string): ConfigError {
  return new ConfigError([{ code: 'RM_CONFIG_FILE', path: '', message, pos: undefined, value: path }]);
}
