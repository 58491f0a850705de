/**
 * From parsed fragments to a frozen Config:
 *
 *   parse (INI | YAML) -> merge fragments -> env, $(circus.env.*), coerce -> schema
 *     -> build (defaults, cross-field checks) -> freeze
 *
 * Parsing, coercion and the schema report together; the cross-field checks of the build
 * run only on data that passed the schema. All problems of a stage are thrown at once
 * as one ConfigError, each reported once (a coercion failure does not show up again as
 * the schema error it would cause).
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
import { schemaIssues } from './validate.js';

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
  return format === 'ini' ? iniSource(text, file, env, cwd, budget) : yamlSource(text, file, env);
}

/** Merge fragments, validate, build and freeze; throws ConfigError with every problem found. */
export function finish(fragments: readonly RawSource[], env: NodeJS.ProcessEnv): Config {
  const src = mergeSources(fragments);
  const fail = (issues: ConfigIssue[]): never => {
    throw new ConfigError(sortIssues(issues));
  };
  const over = treeLimitIssues(src);
  if (over.length > 0) fail(over);
  const prepared = prepare(src, env);
  // a value whose ${VAR} could not be expanded would fail coercion too: report it once
  const seen = new Set(src.issues.map((i) => i.path));
  for (const p of seen) prepared.reported.add(p);
  const later = [...prepared.issues, ...schemaIssues(src, prepared.reported)].filter((i) => !seen.has(i.path));
  const issues = [...src.issues, ...later];
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
  built.config.warnings = [...src.warnings, ...prepared.warnings, ...built.warnings];
  return deepFreeze(built.config);
}
