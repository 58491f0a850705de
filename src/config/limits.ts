/**
 * The parse limits: how much a configuration may hold before it is refused unread. The
 * config file is watched and reloaded by a running init, so what a bad push (or a hostile
 * file) can make the parser do is bounded here, not by the machine's memory.
 *
 * Each limit is generous for a real configuration: 200 watchers with 12 options, an env
 * of 3 and a socket each is 85 KB and 12 000 YAML tokens, and loads in 195 ms of CPU
 * (cold) on the 2-core AMD EPYC these figures come from (Node 20). The worst input found at each
 * limit (`node bench/parse/limits.mjs`: the largest input of a family not refused, whole
 * pipeline, warm CPU ms; measured with the machine's load average at 16 on 2 cores, which
 * inflates CPU time too, so read them as upper bounds):
 *
 * - MAX_CONFIG_BYTES: a 256 KiB YAML cmd 28; INI of `${A:-` runs 17; 131 000 unreadable INI lines 83
 * - MAX_YAML_TOKENS: a flow list of 10 000 numbers 330; 6 660 unknown options 260; 6 660 env keys 220
 *   (the yaml package's own cost: with the load average at 2-4 it parsed a 64 KiB flow list,
 *   98 000 lexer tokens, in 120 ms, which puts 20 000 tokens at about 25 ms)
 * - MAX_DEPTH: 60 nested lists 5-12
 * - MAX_ALIASES: 906 aliases of a 9-item list 43-53
 * - MAX_NODES: aliases of a 100-item list 25; 9 998 unknown INI keys 126; an INI env of 9 997 keys 153
 * - MAX_WATCHERS: 500 YAML watchers of 4 options 219; 500 INI watchers and 64 env patterns 28
 * - MAX_TASKS: 500 tasks in a depends_on chain, with 500 watchers (not measured on that machine)
 * - MAX_SOCKETS: 500 sockets 59
 * - MAX_ENV_PATTERNS: 64 patterns over 500 watchers 24-33
 * - MAX_NAME_LENGTH: 500 env keys of 255 characters 16
 * - MAX_CONFIG_FILES: 256 included files 30-70
 * - MAX_GLOB_ENTRIES: a glob over 10 000 directory entries 6
 *
 * Refusing an input just over a limit costs less than the input at the limit. Before these
 * limits, a 345-byte YAML alias bomb (10^6 leaves) took 12.7 s and 570 MB in `check`; it is
 * now refused in 41 ms of CPU (10^9 leaves too).
 */
import { at } from './errors.js';
import { isMap, keyPosOf, type RawSource } from './tree.js';
import type { ConfigIssue, SourcePos } from './types.js';

/** Bytes of all files of one configuration together (main file, includes, fragments), and of RINGMASTER_CONFIG. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Files of one configuration: the main file plus INI includes, or the fragments of a directory. */
export const MAX_CONFIG_FILES = 256;
/** Directory entries that the INI `include`/`include_dir` globs of one configuration may look at. */
export const MAX_GLOB_ENTRIES = 10_000;
/** YAML tokens (scalars, indicators, brackets, anchors, aliases, tags; not spaces or comments) of one file. */
export const MAX_YAML_TOKENS = 20_000;
/** Nesting of YAML collections. */
export const MAX_DEPTH = 64;
/** YAML aliases (`*name`) expanded in one file. */
export const MAX_ALIASES = 1_000;
/** Values, maps and lists of the tree one file expands to (after aliases), or INI sections plus keys. */
export const MAX_NODES = 10_000;
/** Watchers of one configuration. */
export const MAX_WATCHERS = 500;
/** Tasks of one configuration. */
export const MAX_TASKS = 500;
/** Sockets of one configuration. */
export const MAX_SOCKETS = 500;
/** Patterns of all `[env:PATTERNS]` sections of one configuration. */
export const MAX_ENV_PATTERNS = 64;
/** Schema errors described one by one (each costs a "did you mean" search); the rest are counted. */
export const MAX_LISTED_ISSUES = 100;
/** Characters of a name: an INI section header or key, a YAML key, an `[env:...]` pattern. */
export const MAX_NAME_LENGTH = 256;

/** Each limit: what its number counts (for "<seen> <unit>, over the limit of <limit>") and the fix. */
const LIMITS = {
  bytes: { unit: 'bytes', fix: 'split it, or remove what it does not need' },
  files: { unit: 'files', fix: 'include fewer files' },
  globEntries: { unit: 'directory entries looked at by include globs', fix: 'point include and include_dir at the directories that hold the files' },
  tokens: { unit: 'YAML tokens', fix: 'split it into fragments of a config directory, or remove what it does not need' },
  depth: { unit: 'levels of nested collections', fix: 'a configuration needs only a few levels' },
  aliases: { unit: 'alias expansions', fix: 'use fewer *aliases' },
  nodes: { unit: 'values, maps and lists (after aliases) or INI sections and keys', fix: 'remove values, or aliases that repeat large parts' },
  watchers: { unit: 'watchers', fix: 'run fewer watchers per init' },
  tasks: { unit: 'tasks', fix: 'run fewer tasks per init (one task can run a script of many steps)' },
  sockets: { unit: 'sockets', fix: 'bind fewer sockets per init' },
  envPatterns: { unit: '[env:...] patterns', fix: 'use fewer [env:...] patterns' },
  nameLength: { unit: 'characters in a name', fix: 'use a shorter name' },
} as const;

export type LimitName = keyof typeof LIMITS;

/**
 * A configuration over a parse limit: code RM_CONFIG_LIMIT, the file, what was counted,
 * the value seen (`at least N` when counting stopped there) and the limit.
 */
export function limitIssue(file: string, what: LimitName, seen: number | string, limit: number, pos?: SourcePos): ConfigIssue {
  const { unit, fix } = LIMITS[what];
  const message = `${file}: ${seen} ${unit}, over the limit of ${limit} (RM_CONFIG_LIMIT); ${fix}${at(pos)}`;
  return { code: 'RM_CONFIG_LIMIT', path: '', message, pos, value: seen };
}

/** What one configuration's files have used so far (all its files share the limits). */
export interface Budget {
  bytes: number;
  files: number;
  globEntries: number;
  /** files read for values: env_file and ${file:} (value-files.ts has their own limits) */
  valueFiles: number;
  valueBytes: number;
}

/** A fresh budget for one configuration. */
export function newBudget(): Budget {
  return { bytes: 0, files: 0, globEntries: 0, valueFiles: 0, valueBytes: 0 };
}

/**
 * The limits on the merged tree (watchers, tasks, sockets, env patterns), and any limit a parser
 * hit: when there is one, these are the only issues reported (the rest of the data is
 * incomplete, and validating it would only cost time).
 */
export function treeLimitIssues(src: RawSource): ConfigIssue[] {
  const found = src.issues.filter((i) => i.code === 'RM_CONFIG_LIMIT');
  const file = src.files.join(', ') || 'the configuration';
  for (const [top, what, max] of [['watchers', 'watchers', MAX_WATCHERS], ['tasks', 'tasks', MAX_TASKS], ['sockets', 'sockets', MAX_SOCKETS]] as const) {
    const section = src.data[top];
    const names = isMap(section) ? Object.keys(section) : [];
    if (names.length > max) found.push(limitIssue(file, what, names.length, max, keyPosOf(src, [top, names[max] as string])));
  }
  const patterns = src.envPatterns.reduce((n, p) => n + p.patterns.length, 0);
  if (patterns > MAX_ENV_PATTERNS) found.push(limitIssue(file, 'envPatterns', patterns, MAX_ENV_PATTERNS));
  return found;
}
