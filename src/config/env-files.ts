/**
 * `env_file` of a section, at build time: the paths resolved from the directory of the
 * config file that names them, each file read and parsed (value-files.ts), their variables
 * merged in list order (a later file wins).
 *
 * Precedence of a watcher's (or task's) environment, lowest first: the copied environment
 * (copy_env), the global `env_file`, the section's own `env_file`, `[env]`, the
 * `[env:PATTERN]` sections that match it, its own `env`.
 */
import { dirname, resolve } from 'node:path';
import { issue } from './errors.js';
import type { Budget } from './limits.js';
import { dotted, posOf, type Path, type RawSource } from './tree.js';
import type { ConfigIssue } from './types.js';
import { readEnvFile } from './value-files.js';

export interface EnvFiles {
  /** absolute paths, in the order read */
  files: string[];
  /** their variables merged */
  env: Record<string, string>;
}

export const NO_ENV_FILES: EnvFiles = { files: [], env: {} };

/** Read the env_file option at `path` (its value after coercion: a list of paths). Problems go to `issues`. */
export function envFilesAt(src: RawSource, path: Path, value: unknown, budget: Budget, issues: ConfigIssue[]): EnvFiles {
  const list = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : [];
  if (list.length === 0) return NO_ENV_FILES;
  const pos = posOf(src, path);
  const first = src.files[0];
  const dir = (pos && src.dirs.get(pos.file)) ?? (first !== undefined ? src.dirs.get(first) : undefined) ?? (first !== undefined ? dirname(resolve(first)) : process.cwd());
  const out: EnvFiles = { files: [], env: {} };
  for (const p of list) {
    const r = readEnvFile(p, dir, budget);
    if (!r.ok) {
      const fix = 'fix the file or the path, or remove it from env_file';
      issues.push(issue('RM_CONFIG_FILE', dotted(path), `${dotted(path)}: ${r.message}; ${fix}`, pos, p));
      continue;
    }
    out.files.push(r.abs);
    Object.assign(out.env, r.env);
  }
  return out;
}

/** What a section's env_file and env come to. */
export interface SectionEnv {
  /** the global env_file's paths, then the section's own */
  env_file: string[];
  env: Record<string, string>;
}

/**
 * A watcher's or task's environment in the order of the comment above (the copied
 * environment is the spawn's): the global env_file, the section's own env_file at `path`,
 * `sectionEnv` ([env] and the matching [env:PATTERN]), then its own `env` (`own`).
 */
export function sectionEnv(
  src: RawSource,
  path: Path,
  value: unknown,
  ctx: { globalFiles: EnvFiles; globalEnv: Readonly<Record<string, string>>; budget: Budget; issues: ConfigIssue[] },
  own: unknown,
): SectionEnv {
  const files = envFilesAt(src, path, value, ctx.budget, ctx.issues);
  return {
    env_file: [...ctx.globalFiles.files, ...files.files],
    env: { ...ctx.globalFiles.env, ...files.env, ...ctx.globalEnv, ...((own as Record<string, string> | undefined) ?? {}) },
  };
}
