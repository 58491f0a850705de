/**
 * From parsed fragments to a frozen Config:
 *
 *   parse (INI | YAML) -> merge fragments -> env, $(circus.env.*), coerce -> schema
 *     -> build (defaults, cross-field checks) -> freeze
 *
 * Parsing, coercion and the schema report together; the cross-field checks of the build
 * run only on data that passed the schema. All problems of a stage are thrown at once
 * as one ConfigError, each reported once (a coercion failure does not show up again as
 * the schema error it would cause). A config that defines no watcher and no task is an error too: an
 * empty or truncated file must never be taken for "run nothing".
 *
 * The stages are steps of a generator (`Steps`): `finish` runs them in one go, a running
 * init (`stepsAsync`) lets its event loop turn between them, so that a reload is a few
 * bounded slices instead of one long one.
 */
import { buildConfig } from './build.js';
import { ConfigError, sortIssues } from './errors.js';
import { deepFreeze } from './freeze.js';
import { iniSource } from './from-ini.js';
import { newBudget, treeLimitIssues, type Budget } from './limits.js';
import { yamlSource } from './parser-yaml.js';
import { prepare } from './prepare.js';
import { mergeSources, type RawSource } from './tree.js';
import type { Config, ConfigIssue } from './types.js';
import { redact, redactIssues } from './secrets.js';
import { schemaIssues } from './validate.js';
import { baseDirOf, fileValueReader } from './value-files.js';

export type TextFormat = 'yaml' | 'ini';

/** The format a file name implies, if any. */
export function formatOfName(file: string): TextFormat | undefined {
  const m = /\.([A-Za-z]+)$/.exec(file);
  const ext = m?.[1]?.toLowerCase();
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'ini' || ext === 'conf' || ext === 'cfg') return 'ini';
  return undefined;
}

/** Guess the format of text: INI when its first meaningful line is a [section] header. */
export function sniffFormat(text: string): TextFormat {
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    return /^\[[^\]\s,][^\]]*\]\s*([;#].*)?$/.test(t) && !t.includes(', ') ? 'ini' : 'yaml';
  }
  return 'yaml';
}

/** Parse one text in a known format into a fragment; its includes are charged to `budget`. */
export function parseFragment(
  text: string,
  file: string,
  format: TextFormat,
  env: NodeJS.ProcessEnv,
  cwd: string,
  budget: Budget = newBudget(),
): RawSource {
  const readers = fileValueReader(cwd, budget);
  const src = format === 'ini' ? iniSource(text, file, env, cwd, budget, readers) : yamlSource(text, file, env, readers(file));
  for (const f of src.files) src.dirs.set(f, baseDirOf(f, cwd));
  return src;
}

/**
 * Work done in slices: each `yield` is a point where a caller may let other work run.
 * A step may also yield a file to read (`{ read }`), answered with its text, so that the
 * same code reads with readFileSync (`runSteps`) or fs.promises (`stepsAsync`).
 */
export type Step = undefined | { read: string; label: string };
export type Steps<T> = Generator<Step, T, string | undefined>;

/** Run steps to the end, reading files with `read`. */
export function runSteps<T>(steps: Steps<T>, read: (abs: string, label: string) => string): T {
  let r = steps.next();
  while (!r.done) r = steps.next(r.value === undefined ? undefined : read(r.value.read, r.value.label));
  return r.value;
}

/** Run steps, reading files with `read` and letting the event loop turn (setImmediate) at each step. */
export async function stepsAsync<T>(steps: Steps<T>, read: (abs: string, label: string) => Promise<string>): Promise<T> {
  let r = steps.next();
  while (!r.done) {
    const step = r.value;
    const text = step === undefined ? await turn() : await read(step.read, step.label);
    r = steps.next(text);
  }
  return r.value;
}

/** One turn of the event loop: timers, I/O and signals queued meanwhile run first. */
export function turn(): Promise<undefined> {
  return new Promise((resolve) => setImmediate(() => resolve(undefined)));
}

/** Merge fragments, validate, build and freeze; throws ConfigError with every problem found. */
export function finish(fragments: readonly RawSource[], env: NodeJS.ProcessEnv): Config {
  return runSteps(finishSteps(fragments, env), () => '');
}

/** What a load is for. */
export interface FinishOptions {
  /** a main command is given (`ringmaster -c FILE -- CMD`): a config with nothing else to run (only sockets) is fine */
  mainCommand?: boolean;
}

/** `finish` as steps: merge and coerce, schema, build, freeze. */
export function* finishSteps(fragments: readonly RawSource[], env: NodeJS.ProcessEnv, opts: FinishOptions = {}): Steps<Config> {
  const src = mergeSources(fragments);
  const fail = (issues: ConfigIssue[]): never => {
    throw new ConfigError(sortIssues(redactIssues(issues, src)));
  };
  const over = treeLimitIssues(src);
  if (over.length > 0) fail(over);
  const prepared = prepare(src, env);
  yield;
  // a value whose ${VAR} could not be expanded would fail coercion too: report it once
  const seen = new Set(src.issues.map((i) => i.path));
  for (const p of seen) prepared.reported.add(p);
  const later = [...prepared.issues, ...schemaIssues(src, prepared.reported)].filter((i) => !seen.has(i.path));
  const issues = [...src.issues, ...later];
  yield;
  if (issues.length > 0) {
    // All at once: also what only the build sees (a socket a watcher names but nobody
    // defines...), for keys the checks above found nothing wrong with. The data is known to
    // be invalid somewhere, so the build may trip over it: then the issues above are all.
    const bad = issues.map((i) => i.path);
    const related = (path: string): boolean => bad.some((b) => b === path || path.startsWith(`${b}.`) || b.startsWith(`${path}.`));
    let more: ConfigIssue[] = [];
    try {
      more = buildConfig(src).issues.filter((i) => !related(i.path));
    } catch {
      // as said
    }
    fail([...issues, ...more]);
  }
  const built = buildConfig(src);
  if (built.issues.length > 0) fail(built.issues);
  if (built.config.watchers.length === 0 && built.config.tasks.length === 0 && opts.mainCommand !== true) fail([nothingToRun(src)]);
  built.config.warnings = [...src.warnings, ...prepared.warnings, ...built.warnings].map((w) => redact(w, src.secretTexts));
  if (src.secretTexts.length > 0) built.config.secrets = [...new Set(src.secretTexts)];
  yield;
  return deepFreeze(built.config);
}

/**
 * A config with no watcher and no task runs nothing (one whose only tasks are scheduled
 * runs them: a cron container), and in practice is a file read empty or cut short
 * (an editor truncating it, a ConfigMap key that went missing): an error, never a config
 * that stops everything. Reported once nothing else is wrong, so that a syntax error is not
 * drowned out by its consequence.
 */
function nothingToRun(src: RawSource): ConfigIssue {
  const files = src.files.length > 0 ? src.files.join(', ') : 'the configuration';
  const section =
    src.format === 'ini'
      ? 'a [watcher:NAME] or [task:NAME] section with a cmd'
      : 'a watchers: or tasks: section (watchers: {web: {cmd: ...}})';
  const message =
    `the configuration defines nothing to run: ${files} has no watcher and no task (an empty file, or only comments, options or sockets); ` +
    `add ${section}, or run a single command with ringmaster -- CMD`;
  return { code: 'RM_CONFIG_MISSING', path: 'watchers', message, pos: undefined };
}
